// The hotlint extension: starts `hotlint lsp` for C and C++ files and hands it the settings.
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;

const LANGUAGES = ["c", "cpp", "cuda-cpp"];

// What the server reads from initializationOptions and workspace/didChangeConfiguration.
function serverSettings(config: vscode.WorkspaceConfiguration) {
  return {
    select: config.get<string[]>("select", []),
    ignore: config.get<string[]>("ignore", []),
    extraArgs: config.get<string[]>("extraArgs", []),
    compileCommands: config.get<string>("compileCommands", ""),
    debounce: config.get<number>("debounce", 250),
    // VS Code shows pushed diagnostics; pulled ones would appear a second time.
    pullDiagnostics: false,
  };
}

async function start(): Promise<void> {
  const config = vscode.workspace.getConfiguration("hotlint");
  const command = config.get<string>("path") || "hotlint";
  const args = config.get<string[]>("args", ["lsp"]);
  // TransportKind.stdio appends --stdio to the arguments; `hotlint lsp` accepts it.
  const serverOptions: ServerOptions = { command, args, transport: TransportKind.stdio };
  const clientOptions: LanguageClientOptions = {
    documentSelector: LANGUAGES.flatMap((language) => [
      { scheme: "file", language },
      { scheme: "untitled", language },
    ]),
    synchronize: { configurationSection: "hotlint" },
    initializationOptions: serverSettings(config),
    outputChannelName: "hotlint",
  };
  client = new LanguageClient("hotlint", "hotlint", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (error) {
    client = undefined;
    const message = error instanceof Error ? error.message : String(error);
    void vscode.window.showErrorMessage(
      `hotlint: cannot start \`${command} ${args.join(" ")}\` (${message}). ` +
        "Install hotlint (pip install hotlint) or set `hotlint.path`.",
    );
  }
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) {
    await running.stop();
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand("hotlint.restart", async () => {
      await stop();
      await start();
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      // the other settings reach the running server through didChangeConfiguration
      if (event.affectsConfiguration("hotlint.path") || event.affectsConfiguration("hotlint.args")) {
        await stop();
        await start();
      }
    }),
  );
  await start();
}

export async function deactivate(): Promise<void> {
  await stop();
}
