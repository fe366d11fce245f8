// Every wall of the sandbox, tried against a fresh container per job (nothing kept waiting, one job each).
import { defineWallTests } from "./sandbox-walls.suite.js";

defineWallTests("a fresh container per job", { poolSize: 0, jobsPerContainer: 1 });
