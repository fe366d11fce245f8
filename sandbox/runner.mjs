// ToolForge sandbox runner: runs ONE job on ONE forged module, inside the gVisor container (and on
// the host for the bare-node benchmark). Dependency-free on purpose: the image holds node and this
// file, nothing else.
//
// Protocol
//   1. At start it prints `TOOLFORGE_READY` on stdout: the host hands the job over only then, so the
//      job's timeout never pays for node's boot.
//   2. It reads ONE JSON line on stdin: {token, action: "validate"|"call", module, contract, input,
//      outside}. `outside` is true when the host will answer the tool's outside requests (a person
//      granted the hosts the tool declares); only then does `ctx.fetch` send any.
//      A tool that uses library tools gets them in the job's `tools` (every version it can reach,
//      with its module); `ctx.tools.<name>(args)` imports that module here, in this job, and calls it.
//   3. While a call runs, each `ctx.fetch` is one line on stdout, `TOOLFORGE_REQUEST <token> <json>`;
//      the host makes the request (or refuses it) and answers with one JSON line on stdin, by id.
//   4. The LAST line of stdout is `TOOLFORGE_REPORT <token> <json>`; then it exits 0. A non-zero exit
//      means the runner itself broke (bad job line), never that the module failed.
//
// The module runs in this process and can reach everything the runner can (it is hostile: the
// container is the wall). What the runner does is make a forged report hard: the token lives only in
// a closure, everything used to write the report is captured before the module is imported, the
// report is built from null-prototype objects with a serializer that never calls toJSON or any
// prototype method the module could patch, and anything printed after the report breaks the
// "last line" rule, so the host refuses it (fail-closed).
import fs from "node:fs";
import assert from "node:assert";
import strictAssert from "node:assert/strict";

// ---- captured before any untrusted code runs -------------------------------------------------
const fsWriteSync = fs.writeSync;
const bufferFrom = Buffer.from.bind(Buffer);
const atomicsWait = Atomics.wait;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));
/** How long a write may keep meeting a full pipe before the runner gives up. */
const WRITE_DEADLINE_MS = 10_000;
const stringify = JSON.stringify;
const parseJson = JSON.parse;
const isArray = Array.isArray;
const objectKeys = Object.keys;
const getPrototypeOf = Object.getPrototypeOf;
const freeze = Object.freeze;
const defineProperty = Object.defineProperty;
const ObjectProto = Object.prototype;
const now = performance.now.bind(performance);
const toStr = String;
const PromiseClass = Promise;
const ErrorClass = Error;
// Response and Headers are read when a tool first uses ctx.fetch, not here: the first read of
// either loads Node's fetch implementation (~17 ms on a host, more under gVisor), which no runner
// should pay at its start. A module that replaced them meanwhile only changes what it gets back.
const fetchClasses = () => ({ Response: globalThis.Response, Headers: globalThis.Headers });
const base64Bytes = (text) => bufferFrom(text, "base64");
const hardExit = typeof process.reallyExit === "function" ? process.reallyExit.bind(process) : process.exit.bind(process);
const onProcess = process.on.bind(process);
const RUNNER_URL = import.meta.url;
// ---- BEGIN CONTRACT: a copy of src/contract.ts (this file cannot import TypeScript). --------------
// test/unit/contract-runner-pin.test.ts fails when a value here differs from src/contract.ts.
const READY_MARKER = "TOOLFORGE_READY\n";
const REPORT_PREFIX = "TOOLFORGE_REPORT ";
const STDERR_END_PREFIX = "TOOLFORGE_STDERR_END ";
/** A report longer than this is refused here; the host keeps a tail big enough for it. */
const REPORT_MAX_CHARS = 512 * 1024;
const REQUEST_PREFIX = "TOOLFORGE_REQUEST ";
const MAX_REQUESTS_PER_CALL = 32;
const MAX_OPEN_REQUESTS = 4;
const MAX_REQUEST_LINE_CHARS = 1024 * 1024;
/** A tool's `name`: snake_case, at most 64 characters (the host also refuses reserved names). */
const NAME_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;
// ---- END CONTRACT -------------------------------------------------------------------------------
const regexTest = RegExp.prototype.test;
const regexCall = (re, s) => regexTest.call(re, s);
const strSplit = String.prototype.split;
const strIncludes = String.prototype.includes;
const strReplaceAll = String.prototype.replaceAll;
const mathRound = Math.round;
const round2 = (ms) => mathRound(ms * 100) / 100;

/**
 * Writes all of `text` to fd 1 or 2. Under gVisor the pipe to Docker may be non-blocking: when it
 * is full (a flood the host reads slowly) a write fails with EAGAIN or writes only part, so this
 * waits a moment and carries on until everything is written.
 */
function writeAll(fd, text) {
  const bytes = bufferFrom(text, "utf8");
  const deadline = now() + WRITE_DEADLINE_MS;
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += fsWriteSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      if (error?.code !== "EAGAIN" || now() > deadline) throw error;
      atomicsWait(sleepCell, 0, 0, 2);
    }
  }
}
const writeOut = (text) => writeAll(1, text);
const writeErr = (text) => writeAll(2, text);

/** A JSON text the serializer embeds as is (module data serialised once, with its own semantics). */
class RawJson {
  constructor(text) {
    this.text = text;
  }
}

function record() {
  return { __proto__: null };
}

function lockDown() {
  for (const target of [assert, strictAssert]) {
    for (const key of objectKeys(target)) {
      const value = target[key];
      if (typeof value === "function") freeze(value);
    }
    freeze(target);
  }
  for (const key of objectKeys(console)) {
    if (typeof console[key] === "function") freeze(console[key]);
  }
  freeze(console);
  defineProperty(globalThis, "console", { value: console, writable: false, configurable: false, enumerable: false });
}

/** Serialises the report: only our own null-prototype records, arrays, primitives and RawJson. */
function encode(value) {
  if (value === null || value === undefined) return "null";
  if (value instanceof RawJson) return value.text;
  const type = typeof value;
  if (type === "string" || type === "boolean") return stringify(value);
  if (type === "number") return stringify(value);
  if (isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) out += (i === 0 ? "" : ",") + encode(value[i]);
    return out + "]";
  }
  let out = "{";
  let first = true;
  const keys = objectKeys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (value[key] === undefined) continue;
    out += (first ? "" : ",") + stringify(key) + ":" + encode(value[key]);
    first = false;
  }
  return out + "}";
}

function describeError(error) {
  const out = record();
  try {
    if ((error !== null && typeof error === "object") || typeof error === "function") {
      out.name = toStr(error.name ?? "Error");
      out.message = toStr(error.message ?? "");
      const stack = error.stack;
      if (typeof stack === "string") out.stack = trimStack(stack);
    } else {
      out.name = "Thrown";
      out.message = "a non-Error value was thrown: " + toStr(error);
    }
  } catch {
    out.name = "Error";
    out.message = "the thrown value could not be described";
  }
  return out;
}

/** Drops the runner's own frames and node internals; shows the module as "module.mjs". */
function trimStack(stack) {
  const lines = strSplit.call(stack, "\n");
  let out = "";
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (strIncludes.call(line, RUNNER_URL) || strIncludes.call(line, "node:internal") || strIncludes.call(line, "(native)")) continue;
    let shown = currentModuleUrl === "" ? line : strReplaceAll.call(line, currentModuleUrl, "module.mjs");
    for (const [url, label] of dependencyFiles) shown = strReplaceAll.call(shown, url, label);
    out += (out === "" ? "" : "\n") + shown;
  }
  return out;
}

let currentModuleUrl = "";
/** The file URL of each library tool imported in this job → how a stack shows it ("factorize.mjs"). */
const dependencyFiles = new Map();

/** Module data → JSON text, or throws naming why it is not JSON. `undefined` becomes null. */
function toJsonText(value, what) {
  if (value === undefined) return "null";
  let text;
  try {
    text = stringify(value);
  } catch (error) {
    throw new TypeError(`${what} is not JSON-serialisable: ${describeError(error).message}`, { cause: error });
  }
  if (text === undefined) throw new TypeError(`${what} is not JSON-serialisable (a ${typeof value})`);
  return text;
}

/**
 * stdin as lines: the first is the job; each later one answers an outside request. stdin holds the
 * event loop open only while a request waits for its answer (unref'd otherwise), so a module whose
 * promise never settles is still reported as such instead of waiting for the timeout.
 */
const stdin = process.stdin;
let onAnswerLine = null;

function readJobLine() {
  return new Promise((resolve, reject) => {
    let buffered = "";
    let job = null;
    stdin.setEncoding("utf8");
    stdin.on("data", (chunk) => {
      buffered += chunk;
      let end;
      while ((end = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 1);
        if (job === null) {
          job = line;
          stdin.unref();
          resolve(line);
        } else if (onAnswerLine !== null) {
          onAnswerLine(line);
        }
      }
    });
    stdin.on("end", () => {
      if (job === null) {
        if (buffered.trim()) resolve(buffered);
        else reject(new Error("stdin closed before a job line arrived"));
      } else if (onAnswerLine !== null) onAnswerLine(null);
    });
    stdin.on("error", reject);
  });
}

/**
 * The tool's context: `ctx.fetch(url, init)` resolves to a standard Response, made by the host
 * within the person's grants. Requests beyond MAX_OPEN_REQUESTS wait here; more than
 * MAX_REQUESTS_PER_CALL in one call are refused.
 */
function outsideFetch(token, outside) {
  const waiting = new Map();
  const queue = [];
  let sent = 0;
  let open = 0;
  onAnswerLine = (line) => {
    if (line === null) {
      for (const [, entry] of waiting) entry.reject(new TypeError("ctx.fetch: the host closed the request channel"));
      waiting.clear();
      return;
    }
    let answer;
    try {
      answer = parseJson(line);
    } catch {
      return;
    }
    const entry = waiting.get(answer?.id);
    if (entry === undefined) return;
    waiting.delete(answer.id);
    open--;
    if (waiting.size === 0) stdin.unref();
    if (queue.length > 0) queue.shift()();
    if (answer.ok === true) entry.resolve(responseOf(answer));
    else entry.reject(new TypeError("ctx.fetch refused: " + toStr(answer.refused ?? "the host gave no reason")));
  };
  const send = (request) =>
    new PromiseClass((resolve, reject) => {
      const go = () => {
        open++;
        const id = ++sent;
        waiting.set(id, { resolve, reject });
        stdin.ref();
        request.id = id;
        writeOut("\n" + REQUEST_PREFIX + token + " " + encode(request) + "\n");
      };
      if (open < MAX_OPEN_REQUESTS) go();
      else queue[queue.length] = go;
    });
  let asked = 0;
  return async (resource, init) => {
    if (!outside) {
      throw new TypeError(
        "ctx.fetch: this tool may not reach any host here (it declares no hosts, or this is its test: give the default export a fake ctx with a fetch of your own in test())",
      );
    }
    if (++asked > MAX_REQUESTS_PER_CALL)
      throw new TypeError(`ctx.fetch: a call may make at most ${MAX_REQUESTS_PER_CALL} outside requests`);
    const request = requestOf(resource, init);
    if (encode(request).length > MAX_REQUEST_LINE_CHARS - 32) {
      throw new TypeError(`ctx.fetch: the request is over ${MAX_REQUEST_LINE_CHARS} characters: send a smaller body`);
    }
    return send(request);
  };
}

/**
 * The library tools of this job (`spec`: the job's `tools`) and the context each module gets:
 * `ctx.fetch` (the call's one channel to the host) and `ctx.tools`, a frozen object of frozen
 * functions, one per name the module uses. A call imports that version's module (once per job),
 * hands it a JSON copy of the arguments and its own context, and gives back a JSON copy of its
 * result: the caller never holds the module, its namespace or an object it keeps.
 */
function toolLibrary(spec, fetchFn) {
  const modules = new Map();
  if (spec !== null && typeof spec === "object" && isArray(spec.modules)) {
    for (const entry of spec.modules) {
      modules.set(toStr(entry.key), {
        name: toStr(entry.name),
        source: toStr(entry.module),
        uses: isPlainObject(entry.uses) ? entry.uses : {},
      });
    }
  }
  const loaded = new Map();
  const load = (key, entry) => {
    let promise = loaded.get(key);
    if (promise === undefined) {
      // A data: URL, not a file: under gVisor every file operation is a slow system call, and
      // a library tool needs no file of its own (its stack frames are mapped back to its name).
      const url = dataUrlOf(entry.source);
      dependencyFiles.set(url, entry.name + ".mjs");
      promise = import(url);
      loaded.set(key, promise);
    }
    return promise;
  };
  const contextFor = (uses) => {
    const ctx = record();
    ctx.fetch = fetchFn;
    const tools = record();
    for (const name of objectKeys(uses)) {
      const entry = modules.get(toStr(uses[name]));
      if (entry === undefined) continue;
      const key = toStr(uses[name]);
      tools[name] = freeze(async (args) => {
        const input = parseJson(toJsonText(args === undefined ? {} : args, `the arguments to ${name}`));
        const used = await load(key, entry);
        if (typeof used.default !== "function") throw new TypeError(`${name} has no default export to call`);
        let result;
        try {
          result = await used.default(input, contextFor(entry.uses));
        } catch (error) {
          throw new ErrorClass(`${name} (a library tool this one uses) failed: ${describeError(error).message}`);
        }
        return parseJson(toJsonText(result, `${name}'s result`));
      });
    }
    ctx.tools = freeze(tools);
    return freeze(ctx);
  };
  return contextFor;
}

/** fetch's (resource, init) as the plain request the host reads: url, method, headers, body (text). */
function requestOf(resource, init) {
  const request = record();
  request.url = toStr(typeof resource === "object" && resource !== null && "url" in resource ? resource.url : resource);
  const options = init ?? record();
  if (options.method !== undefined) request.method = toStr(options.method);
  if (options.headers !== undefined) {
    const headers = record();
    for (const [key, value] of new (fetchClasses().Headers)(options.headers)) headers[key] = value;
    request.headers = headers;
  }
  const body = options.body;
  if (body !== undefined && body !== null) {
    if (typeof body === "string") request.body = body;
    else if (body instanceof Uint8Array || body instanceof ArrayBuffer) request.body = new TextDecoder().decode(body);
    else request.body = toStr(body); // URLSearchParams and the like
  }
  return request;
}

/** The host's answer as a standard Response (status, headers, text(), json(), arrayBuffer(), url). */
function responseOf(answer) {
  const status = answer.status;
  const nullBody = status === 101 || status === 204 || status === 205 || status === 304;
  const body = nullBody ? null : answer.bodyEncoding === "base64" ? base64Bytes(toStr(answer.body)) : toStr(answer.body ?? "");
  const response = new (fetchClasses().Response)(body, {
    status,
    statusText: toStr(answer.statusText ?? ""),
    headers: answer.headers ?? {},
  });
  defineProperty(response, "url", { value: toStr(answer.url ?? ""), enumerable: true });
  defineProperty(response, "redirected", { value: answer.redirected === true, enumerable: true });
  return response;
}

function isPlainObject(value) {
  if (value === null || typeof value !== "object" || isArray(value)) return false;
  const proto = getPrototypeOf(value);
  return proto === ObjectProto || proto === null;
}

function readExports(mod) {
  const exports = record();
  exports.name = jsonOrDescription(mod.name);
  exports.description = jsonOrDescription(mod.description);
  exports.schema = jsonOrDescription(mod.schema);
  exports.hasDefault = typeof mod.default === "function";
  exports.defaultArity = typeof mod.default === "function" ? mod.default.length : null;
  exports.hasTest = typeof mod.test === "function";
  if (mod.hosts !== undefined) exports.hosts = jsonOrDescription(mod.hosts);
  if (mod.uses !== undefined) exports.uses = jsonOrDescription(mod.uses);
  return exports;
}

function jsonOrDescription(value) {
  try {
    return new RawJson(toJsonText(value, "export"));
  } catch {
    return stringify(`<not JSON: ${typeof value}>`);
  }
}

function contractProblems(mod, contract) {
  const problems = [];
  const add = (p) => (problems[problems.length] = p);
  if (typeof mod.default !== "function") add("the default export is not a function");
  if (contract === "tool") {
    if (typeof mod.name !== "string") add("`name` is not exported as a string");
    else if (!regexCall(NAME_PATTERN, mod.name))
      add(`\`name\` "${mod.name}" is not snake_case (lowercase letters, digits and _; starting with a letter)`);
    if (typeof mod.description !== "string" || mod.description.trim() === "") add("`description` is not exported as a non-empty string");
    if (!isPlainObject(mod.schema)) add("`schema` is not exported as a plain object");
    else if (mod.schema.type !== "object") add('`schema.type` is not "object"');
    if (typeof mod.test !== "function") add("`test` is not exported as a function");
  } else {
    if (mod.test !== undefined && typeof mod.test !== "function") add("`test` is exported but is not a function");
    if (mod.schema !== undefined && !isPlainObject(mod.schema)) add("`schema` is exported but is not a plain object");
  }
  return problems;
}

/** Calls the default export as the contract says; fills report.result (and report.self for methods). */
async function callDefault(mod, contract, input, report, ctx) {
  if (contract === "method") {
    const call = isPlainObject(input) ? input : {};
    const self = call.self === undefined ? {} : parseJson(toJsonText(call.self, "self"));
    const args = isArray(call.args) ? call.args : [];
    const kwargs = isPlainObject(call.kwargs) ? call.kwargs : {};
    const callArgs = [self];
    for (let i = 0; i < args.length; i++) callArgs[callArgs.length] = args[i];
    if (objectKeys(kwargs).length > 0) callArgs[callArgs.length] = kwargs;
    const result = await mod.default(...callArgs);
    report.result = new RawJson(toJsonText(result, "the result"));
    report.self = new RawJson(toJsonText(self, "self after the call"));
  } else {
    const result = await mod.default(input === undefined ? {} : input, ctx);
    report.result = new RawJson(toJsonText(result, "the result"));
  }
}

function emitReport(token, report) {
  let json = encode(report);
  if (json.length > REPORT_MAX_CHARS) {
    const small = record();
    small.ok = false;
    small.phase = report.phase;
    const error = record();
    error.name = "RangeError";
    error.message = `the report is ${json.length} characters, over the ${REPORT_MAX_CHARS} limit: return a smaller result`;
    small.error = error;
    json = encode(small);
  }
  // Tells the host that stderr is complete (stdout and stderr reach it separately).
  try {
    writeErr("\n" + STDERR_END_PREFIX + token + "\n");
  } catch {
    // The module closed stderr: the host then waits a moment and reads what came; the report matters.
  }
  // The leading newline ends any partial line the module left on stdout.
  writeOut("\n" + REPORT_PREFIX + token + " " + json + "\n");
  hardExit(0);
}

/** A module's source as the URL it is imported from (no file: see where the job's module is imported). */
function dataUrlOf(source) {
  return "data:text/javascript;base64," + bufferFrom(source, "utf8").toString("base64");
}

/**
 * Work done before READY, while a pooled container waits for its job anyway: the first import of an
 * ES module (the loader) and the stdout/stderr streams (console's first use) cost tens of ms under
 * gVisor. Nothing here depends on the job; the runner still runs one job.
 */
async function warmUp() {
  await import(dataUrlOf("export default 1;\n"));
  void process.stdout;
  void process.stderr;
}

async function main() {
  await warmUp();
  writeOut(READY_MARKER);
  let job;
  try {
    job = parseJson(await readJobLine());
  } catch (error) {
    writeErr(`toolforge runner: could not read the job line: ${error.message}\n`);
    hardExit(2);
    return;
  }
  const token = toStr(job.token ?? "");
  delete job.token;
  const action = job.action;
  const contract = job.contract === "method" ? "method" : "tool";
  const input = job.input;
  const source = toStr(job.module ?? "");
  const outside = job.outside === true && action === "call" && contract === "tool";
  const toolsSpec = contract === "tool" && job.tools !== null && typeof job.tools === "object" ? job.tools : null;
  // eslint-disable-next-line no-useless-assignment -- drops the job (and its token) before module code runs
  job = null;

  const report = record();
  report.ok = false;
  report.phase = "import";
  const timings = record();
  report.timings = timings;
  let stageStart = now();
  const stage = (name) => {
    const t = now();
    timings[report.phase] = round2(t - stageStart);
    stageStart = t;
    report.phase = name;
  };
  // A module whose promise never settles empties the event loop: say so instead of vanishing.
  onProcess("beforeExit", () => {
    const error = record();
    error.name = "Error";
    error.message = `the ${report.phase} never finished: a promise was left pending with nothing left to run`;
    report.ok = false;
    report.error = error;
    emitReport(token, report);
  });

  if (action !== "validate" && action !== "call") {
    const error = record();
    error.name = "Error";
    error.message = `unknown action ${stringify(action)}: expected "validate" or "call"`;
    report.error = error;
    emitReport(token, report);
    return;
  }

  // A data: URL, not a file: under gVisor every file operation is a slow system call (about 9 ms
  // of CPU per job for the write, import and unlink), and stacks show it as "module.mjs" anyway.
  currentModuleUrl = dataUrlOf(source);
  lockDown();
  const contextFor = toolLibrary(toolsSpec, outsideFetch(token, outside));
  const ctx = contextFor(toolsSpec !== null && isPlainObject(toolsSpec.uses) ? toolsSpec.uses : {});

  try {
    const mod = await import(currentModuleUrl);
    stage("exports");
    report.exports = readExports(mod);
    const problems = contractProblems(mod, contract);
    if (problems.length > 0) {
      report.problems = problems;
      emitReport(token, report);
      return;
    }
    if (action === "validate") {
      stage("test");
      report.testCompleted = false;
      if (typeof mod.test === "function") {
        await mod.test(ctx);
        report.testCompleted = true;
      }
      if (contract === "method" && input !== undefined && input !== null) {
        stage("dryrun");
        await callDefault(mod, contract, input, report, ctx);
      }
    } else {
      stage("call");
      await callDefault(mod, contract, input, report, ctx);
    }
    stage("done");
    report.ok = true;
  } catch (error) {
    report.error = describeError(error);
    timings[report.phase] = round2(now() - stageStart);
  }
  emitReport(token, report);
}

main().catch((error) => {
  writeErr(`toolforge runner broke: ${error && error.stack ? error.stack : error}\n`);
  hardExit(70);
});
