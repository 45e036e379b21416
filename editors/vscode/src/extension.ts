// The hotlint extension: starts `hotlint lsp` for C and C++ files and hands it the settings.
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";
import { serverCommand, serverEnvironment, serverSettings } from "./launch";

let client: LanguageClient | undefined;
let output: vscode.OutputChannel;
let restarting: Promise<void> = Promise.resolve();

const LANGUAGES = ["c", "cpp", "cuda-cpp"];

function settings(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration("hotlint");
}

function workspaceFolders(): string[] {
  return (vscode.workspace.workspaceFolders ?? [])
    .filter((folder) => folder.uri.scheme === "file")
    .map((folder) => folder.uri.fsPath);
}

async function start(): Promise<void> {
  const { command, args } = serverCommand(settings());
  const trusted = vscode.workspace.isTrusted;
  const { env, skipped } = serverEnvironment(trusted, workspaceFolders(), process.env);
  if (!trusted) {
    output.appendLine("Restricted Mode: built-in rules only; the project's rule packs load once you trust this workspace.");
  }
  for (const folder of skipped) {
    output.appendLine(`not trusted for rule packs: ${folder} (its path holds the list separator)`);
  }
  // TransportKind.stdio appends --stdio to the arguments; `hotlint lsp` accepts it.
  const serverOptions: ServerOptions = { command, args, transport: TransportKind.stdio, options: { env } };
  const clientOptions: LanguageClientOptions = {
    documentSelector: LANGUAGES.flatMap((language) => [
      { scheme: "file", language },
      { scheme: "untitled", language },
    ]),
    initializationOptions: serverSettings(settings()),
    // the server asks for its section only when a notification carries none; answer with the
    // declared settings, as the notifications do
    middleware: {
      workspace: {
        configuration: (params) =>
          params.items.map((item) => (item.section === "hotlint" ? serverSettings(settings()) : null)),
      },
    },
    outputChannel: output,
  };
  client = new LanguageClient("hotlint", "hotlint", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (error) {
    client = undefined;
    const message = error instanceof Error ? error.message : String(error);
    void vscode.window.showErrorMessage(
      `hotlint: cannot start \`${command} ${args.join(" ")}\` (${message}). ` +
        "Install hotlint from its repository into a virtual environment and set `hotlint.path` " +
        "in your user settings to the full path of its `hotlint` executable.",
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

// Restarts run one after another, so a trust grant and a settings change never leave two servers.
function restart(): Promise<void> {
  restarting = restarting
    .then(async () => {
      await stop();
      await start();
    })
    .catch((error) => output.appendLine(`restart failed: ${error}`));
  return restarting;
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("hotlint");
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand("hotlint.restart", restart),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("hotlint.path") || event.affectsConfiguration("hotlint.args")) {
        void restart();
      } else if (event.affectsConfiguration("hotlint") && client) {
        client
          .sendNotification(DidChangeConfigurationNotification.type, { settings: serverSettings(settings()) })
          .catch((error) => output.appendLine(`cannot send the settings: ${error}`));
      }
    }),
    // the server learns which folders are trusted from its environment, set when it starts
    vscode.workspace.onDidGrantWorkspaceTrust(() => void restart()),
    vscode.workspace.onDidChangeWorkspaceFolders(() => {
      if (vscode.workspace.isTrusted) {
        void restart();
      }
    }),
  );
  restarting = start();
  await restarting;
}

export async function deactivate(): Promise<void> {
  await stop();
}
