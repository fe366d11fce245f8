// Every wall of the sandbox, tried against pre-started pooled containers that run job after job: they must hold the same.
import { defineWallTests } from "./sandbox-walls.suite.js";

defineWallTests("warm pool, containers reused", { poolSize: 2 });
