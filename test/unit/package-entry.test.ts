/**
 * What a user of the package can write with the package entry alone: every part that
 * createToolForge's options accept (and its runtime holds) has its type exported. Checked by the
 * type checker (`npm run typecheck`); at run time these assertions do nothing.
 */
import { describe, expectTypeOf, it } from "vitest";
import type {
  BuiltinTool,
  ChatService,
  Config,
  CreateGraphOptions,
  EventBus,
  Forge,
  ForgeModelSource,
  PersonaChatModels,
  Runtime,
  Sandbox,
  Store,
  ToolForge,
  ToolForgeGraph,
  ToolRegistry,
} from "../../src/index.js";

describe("the package entry's types", () => {
  it("name every part createToolForge's options take", () => {
    expectTypeOf<CreateGraphOptions["config"]>().toEqualTypeOf<Config | undefined>();
    expectTypeOf<CreateGraphOptions["runtime"]>().toEqualTypeOf<Runtime | undefined>();
    expectTypeOf<CreateGraphOptions["store"]>().toEqualTypeOf<Store | undefined>();
    expectTypeOf<CreateGraphOptions["sandbox"]>().toEqualTypeOf<Sandbox | undefined>();
    expectTypeOf<CreateGraphOptions["bus"]>().toEqualTypeOf<EventBus | undefined>();
    expectTypeOf<CreateGraphOptions["registry"]>().toEqualTypeOf<ToolRegistry | undefined>();
    expectTypeOf<CreateGraphOptions["forge"]>().toEqualTypeOf<Forge | undefined>();
    expectTypeOf<CreateGraphOptions["forgeModel"]>().toEqualTypeOf<ForgeModelSource | undefined>();
    expectTypeOf<CreateGraphOptions["builtins"]>().toEqualTypeOf<BuiltinTool[] | undefined>();
    expectTypeOf<CreateGraphOptions["models"]>().toEqualTypeOf<PersonaChatModels | undefined>();
  });

  it("name what createToolForge returns", () => {
    expectTypeOf<ToolForge["graph"]>().toEqualTypeOf<ToolForgeGraph>();
    expectTypeOf<ToolForge["runtime"]>().toEqualTypeOf<Runtime>();
    expectTypeOf<Runtime["store"]>().toEqualTypeOf<Store>();
    expectTypeOf<ChatService["run"]>().toBeFunction();
  });
});
