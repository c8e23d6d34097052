/** The shortest secret taken anywhere (cluster packets, API keys, webhook signatures): 16 characters, e.g. 64 bits as hex. */
export const MIN_SECRET_LENGTH = 16;
