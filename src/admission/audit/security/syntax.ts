/** Syntax that changes how names resolve: `with` (esbuild already refuses it in an ES module). */
import type { RuleFamily } from "./context.js";

export const syntax: RuleFamily = {
  name: "syntax",
  rules: ["with"],
  create: (context) => ({
    WithStatement(node) {
      context.report("with", "`with` changes how names resolve at run time; it is not allowed.", node);
    },
  }),
};
