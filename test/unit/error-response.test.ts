import { Errors } from "moleculer";
import { errorResponse } from "../../src/api/error-response";
import { RequestRefused } from "../../src/api/request-checks";

describe("API error responses", () => {
  it("keep a client error's status, type and message", () => {
    expect(errorResponse(new Errors.MoleculerClientError('merchant "M9" has no transactions', 404, "MERCHANT_NOT_FOUND", { secret: "x" }))).toEqual({
      status: 404,
      body: { error: { type: "MERCHANT_NOT_FOUND", message: 'merchant "M9" has no transactions' } },
      fault: false,
    });
    expect(errorResponse(new RequestRefused(415, "UNSUPPORTED_MEDIA_TYPE", "JSON only")).status).toBe(415);
  });

  it("say what the body parser refused, plainly", () => {
    const tooLarge = Object.assign(new Error("request entity too large"), { status: 413, type: "entity.too.large" });
    const notJson = Object.assign(new SyntaxError(`Unexpected token n in JSON at position 1`), { status: 400, type: "entity.parse.failed" });
    expect(errorResponse(tooLarge).body.error).toEqual({ type: "BODY_TOO_LARGE", message: "the body is larger than 64 kB" });
    expect(errorResponse(notJson).body.error).toEqual({ type: "INVALID_JSON", message: "the body is not valid JSON" });
  });

  it("answer a parameter that fails validation with a 400 that says what is wrong with it", () => {
    const invalid = new Errors.ValidationError("Parameters validation error!", "VALIDATION_ERROR", [
      { type: "stringMax", field: "notes", message: "The 'notes' field length must be less than or equal to 2000 characters long." },
      { type: "string", field: "assignee", message: "The 'assignee' field must be a string." },
    ]);
    expect(errorResponse(invalid)).toEqual({
      status: 400,
      body: {
        error: {
          type: "VALIDATION_ERROR",
          message: "The 'notes' field length must be less than or equal to 2000 characters long. The 'assignee' field must be a string.",
        },
      },
      fault: false,
    });
  });

  it("show nothing of a service fault", () => {
    const fault = errorResponse(new Error('relation "x" does not exist at postgres://app:pw@db'));
    expect(fault).toEqual({ status: 500, body: { error: { type: "INTERNAL_ERROR", message: "internal error" } }, fault: true });
    expect(errorResponse(new Errors.RequestTimeoutError({ action: "api.stats", nodeID: "n1" })).status).toBe(504);
    expect(errorResponse(undefined).status).toBe(500);
  });
});
