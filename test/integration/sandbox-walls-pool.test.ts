// Every wall of the sandbox, tried against pre-started pooled containers: they must hold the same.
import { defineWallTests } from "./sandbox-walls.suite.js";

defineWallTests("warm pool", { poolSize: 2 });
