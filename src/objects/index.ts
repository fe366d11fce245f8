/** Living objects: prototypes, message sends, doesNotUnderstand learning. */
export { createObjectSpace, sameJson } from "./space.js";
export type { ObjectSpace, ObjectSpaceDeps, ObjectSpaceOptions, SendOutcome, ObjectDescription, MethodSummary } from "./space.js";
export { objectFace } from "./face.js";
export type { ObjectFace, ObjectHandle, MethodFunction, DynamicMethods } from "./face.js";
export { NoSuchObjectError, MethodNotLearnedError, MethodFailedError, ObjectContendedError } from "./errors.js";
export { taughtSkill, teachingSpec } from "./teach.js";
