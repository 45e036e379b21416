// How the extension starts the server and what it tells it, as plain functions of the settings,
// the workspace's trust and folders, and the environment. No `vscode` import, so a test runs this
// module under node alone.
import * as path from "path";

// The server loads a project's own rule packs (`rule-paths`: Python it would import) only for
// folders listed here.
export const TRUSTED_FOLDERS = "HOTLINT_TRUSTED_FOLDERS";

// The part of vscode.WorkspaceConfiguration this module reads.
export interface Settings {
  get<T>(key: string, defaultValue: T): T;
  inspect<T>(key: string): { defaultValue?: T; globalValue?: T } | undefined;
}

// The settings that choose the program that runs and the flags it is given. They are
// `"scope": "machine"`, so VS Code ignores them in a workspace's settings.json; reading only the
// user's and the default value keeps that true in an editor that does not honour the scope.
export const MACHINE_SETTINGS = ["path", "args", "extraArgs", "profile"];

function userValue<T>(settings: Settings, key: string, fallback: T): T {
  const seen = settings.inspect<T>(key);
  return seen?.globalValue ?? seen?.defaultValue ?? fallback;
}

function strings(value: unknown, fallback: string[]): string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string") ? value : fallback;
}

export interface ServerCommand {
  command: string;
  args: string[];
}

export function serverCommand(settings: Settings): ServerCommand {
  const command = userValue<unknown>(settings, "path", "hotlint");
  return {
    command: typeof command === "string" && command !== "" ? command : "hotlint",
    args: strings(userValue<unknown>(settings, "args", ["lsp"]), ["lsp"]),
  };
}

// What the server reads from initializationOptions and workspace/didChangeConfiguration: the
// declared settings only, so a workspace's settings.json cannot hand the server a key this
// extension does not declare.
export function serverSettings(settings: Settings) {
  return {
    select: settings.get<string[]>("select", []),
    ignore: settings.get<string[]>("ignore", []),
    extraArgs: strings(userValue<unknown>(settings, "extraArgs", []), []),
    // VS Code ignores a workspace's value in Restricted Mode (restrictedConfigurations)
    compileCommands: settings.get<string>("compileCommands", ""),
    debounce: settings.get<number>("debounce", 250),
    // the ranking; a profile is a file the server reads: the user's own value only
    minSeverity: settings.get<string>("minSeverity", ""),
    profile: strings(userValue<unknown>(settings, "profile", []), []),
    hotThreshold: settings.get<number | null>("hotThreshold", null),
    // VS Code shows pushed diagnostics; pulled ones would appear a second time.
    pullDiagnostics: false,
  };
}

export interface ServerEnvironment {
  env: NodeJS.ProcessEnv;
  // workspace folders that could not be listed (their path holds the delimiter)
  skipped: string[];
}

// The server's environment: `env` with, in a trusted workspace, the workspace folders appended to
// HOTLINT_TRUSTED_FOLDERS. An untrusted workspace adds nothing; what the user's own environment
// already lists stays, as that is the user's decision, not the workspace's.
export function serverEnvironment(
  trusted: boolean,
  folders: readonly string[],
  env: NodeJS.ProcessEnv,
  delimiter: string = path.delimiter,
): ServerEnvironment {
  const out = { ...env };
  if (!trusted) {
    return { env: out, skipped: [] };
  }
  const listed = (env[TRUSTED_FOLDERS] ?? "").split(delimiter).filter((f) => f !== "");
  // the server would read such a path back as two folders, one of them perhaps never trusted
  const skipped = folders.filter((f) => f.includes(delimiter));
  const added = folders.filter((f) => f !== "" && !f.includes(delimiter) && !listed.includes(f));
  if (added.length > 0) {
    out[TRUSTED_FOLDERS] = [...listed, ...new Set(added)].join(delimiter);
  }
  return { env: out, skipped };
}
