// Every wall of the sandbox, tried against a fresh container per job (SANDBOX_POOL_SIZE=0).
import { defineWallTests } from "./sandbox-walls.suite.js";

defineWallTests("cold container per job", { poolSize: 0 });
