import { dropCreated } from "./infra";

// Every test file drops the databases and buckets it created, whether its tests passed or not.
afterAll(dropCreated);
