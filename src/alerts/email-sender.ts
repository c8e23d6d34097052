import { createTransport, type Transporter } from "nodemailer";
import type { EmailChannel } from "./alert-settings";
import type { EmailMessage } from "./email-digest";

/** Sends mail over SMTP (nodemailer) to the channel's recipients. */
export class EmailSender {
  private readonly transport: Transporter;

  constructor(private readonly channel: EmailChannel) {
    this.transport = createTransport(channel.smtpUrl);
  }

  async send(message: EmailMessage): Promise<void> {
    await this.transport.sendMail({ from: this.channel.from, to: [...this.channel.to], subject: message.subject, text: message.text });
  }

  close(): void {
    this.transport.close();
  }
}
