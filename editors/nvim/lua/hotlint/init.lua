-- hotlint for Neovim: starts `hotlint lsp` for C and C++ buffers.
--
--   require("hotlint").setup({ settings = { ignore = { "padding-waste" } } })
--
-- Neovim 0.11+ registers it with vim.lsp.config / vim.lsp.enable; 0.8-0.10 start it from a
-- FileType autocommand with vim.lsp.start; 0.7 with vim.lsp.start_client and buf_attach_client.
local M = {}

local defaults = {
  cmd = { "hotlint", "lsp" },
  filetypes = { "c", "cpp", "cuda" },
  -- the folder holding the first of these, upward from the file, is the project root
  root_markers = { "compile_commands.json", ".hotlint.toml", "pyproject.toml", ".git" },
  -- what the server reads: select, ignore, extraArgs, compileCommands, debounce (ms)
  settings = {},
  on_attach = nil,
  capabilities = nil,
}

local function root_dir(bufnr, markers)
  local name = vim.api.nvim_buf_get_name(bufnr)
  local start = name ~= "" and vim.fn.fnamemodify(name, ":p:h") or vim.loop.cwd()
  local dir = start
  while dir do
    for _, marker in ipairs(markers) do
      if vim.loop.fs_stat(dir .. "/" .. marker) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ":h")
    if parent == dir then
      break
    end
    dir = parent
  end
  return start
end

-- The inline text shows a finding's headline, its first line: the notes after it are for the
-- float and the hover. Left alone when the user turned virtual text off.
local function headline_virtual_text(client_id)
  local virtual_text = vim.diagnostic.config().virtual_text
  if not virtual_text then
    return
  end
  local opts = type(virtual_text) == "table" and vim.deepcopy(virtual_text) or {}
  opts.format = function(diagnostic)
    return (diagnostic.message:gsub("\n.*", ""))
  end
  vim.diagnostic.config({ virtual_text = opts }, vim.lsp.diagnostic.get_namespace(client_id))
end

local function client_config(opts)
  -- Neovim shows pushed diagnostics; 0.10+ would pull them a second time into another namespace.
  local init_options = vim.tbl_extend("force", { pullDiagnostics = false }, opts.settings)
  return {
    name = "hotlint",
    cmd = opts.cmd,
    init_options = init_options,
    settings = { hotlint = opts.settings },
    on_attach = function(client, bufnr)
      headline_virtual_text(client.id)
      if opts.on_attach then
        opts.on_attach(client, bufnr)
      end
    end,
    capabilities = opts.capabilities,
  }
end

-- Call `attach(bufnr)` for every buffer of these filetypes, now and when one is opened.
local function on_filetypes(opts, attach)
  local group = vim.api.nvim_create_augroup("hotlint", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = opts.filetypes,
    callback = function(args)
      attach(args.buf)
    end,
  })
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(opts.filetypes, vim.bo[bufnr].filetype) then
      attach(bufnr)
    end
  end
end

function M.setup(user)
  local opts = vim.tbl_deep_extend("force", {}, defaults, user or {})
  local config = client_config(opts)

  if vim.lsp.config ~= nil and vim.lsp.enable ~= nil then
    config.filetypes = opts.filetypes
    config.root_markers = opts.root_markers
    vim.lsp.config("hotlint", config)
    vim.lsp.enable("hotlint")
    return
  end

  if vim.lsp.start ~= nil then
    on_filetypes(opts, function(bufnr)
      local c = vim.deepcopy(config)
      c.root_dir = root_dir(bufnr, opts.root_markers)
      vim.lsp.start(c, { bufnr = bufnr })
    end)
    return
  end

  -- 0.7: one client per project root, attached to each of its buffers
  local clients = {}
  on_filetypes(opts, function(bufnr)
    local root = root_dir(bufnr, opts.root_markers)
    local id = clients[root]
    if id == nil or vim.lsp.get_client_by_id(id) == nil then
      local c = vim.deepcopy(config)
      c.root_dir = root
      id = vim.lsp.start_client(c)
      clients[root] = id
    end
    if id ~= nil then
      vim.lsp.buf_attach_client(bufnr, id)
    end
  end)
end

return M
