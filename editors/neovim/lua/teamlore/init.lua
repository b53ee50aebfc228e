--- teamlore for Neovim: starts `teamlore lsp` for files in a git workspace and connects
--- what LSP does not cover (other sources' diagnostics, :terminal, prompts).
---
---   require("teamlore").setup({})            -- defaults below
local trust = require("teamlore.trust")
local util = require("teamlore.util")

local M = {}

---@class teamlore.Config
---@field cmd string[] How to start the server. Set by you: used as given. Default: `teamlore` on the PATH, unless it resolves inside the workspace and is not trusted.
---@field project_server string[]|false Paths, relative to the workspace root, of the repository's own server (its virtualenv's `teamlore`), used when `cmd` is not set and the file is trusted (|vim.secure.read()|). false: never.
---@field cmd_from_user boolean? (internal) setup() was given `cmd`.
---@field cli string[]? How to run the CLI (`:Teamlore run`, health); nil: `cmd` without its "lsp".
---@field cmd_env table<string, string>? Environment for the server and the CLI.
---@field root_markers string[] A buffer belongs to the workspace holding the nearest of these.
---@field filetypes string[]? Filetypes to attach to; nil: every filetype.
---@field settings table Server settings; `restrictedMode` is added by the plugin.
---@field forward_diagnostics boolean Send other sources' diagnostics to the server (hover shows past fixes for them).
---@field debounce_ms integer Wait after the last diagnostics change before forwarding.
---@field capture_terminal boolean Send failing `:terminal` runs to the server.
---@field max_output integer Characters of terminal output sent (the end is kept).
---@field on_attach fun(client: vim.lsp.Client, bufnr: integer)? Called when the server attaches to a buffer.
---@field capabilities lsp.ClientCapabilities? Client capabilities given to the server.

---@type teamlore.Config
M.defaults = {
  --- How to start the server.
  cmd = { "teamlore", "lsp" },
  --- The repository's own server, tried (when trusted) before `cmd` if `cmd` was not set.
  project_server = { ".venv/bin/teamlore", "venv/bin/teamlore" },
  --- How to run the CLI (`:Teamlore run`, health); nil: `cmd` without its "lsp".
  cli = nil,
  --- Environment for the server and the CLI.
  cmd_env = nil,
  --- A buffer belongs to the workspace holding the nearest of these.
  root_markers = { ".teamlore", ".git" },
  --- nil: every filetype.
  filetypes = nil,
  --- Server settings (initializationOptions and workspace/configuration section
  --- "teamlore"): storeRoot, matchThreshold, scannersOnSave, debtHints, redisUrl,
  --- showSuppressed, logLevel.
  settings = {},
  forward_diagnostics = true,
  debounce_ms = 300,
  capture_terminal = true,
  --- Characters of terminal output sent (the end is kept).
  max_output = 1000000,
  on_attach = nil,
  capabilities = nil,
}

--- The effective configuration, once setup() ran.
M.config = nil

--- Workspace root -> why its server is not running (the last failed start or early exit);
--- forgotten once a server for the root is ready.
---@type table<string, string>
M.start_failures = {}

--- The workspace root of a buffer, or nil (not a file, or not in a workspace).
function M.root_for(bufnr)
  if not vim.api.nvim_buf_is_valid(bufnr) or vim.bo[bufnr].buftype ~= "" then
    return nil
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == "" then
    return nil
  end
  return vim.fs.root(bufnr, M.config.root_markers)
end

--- The workspace decision of a client's root (made when its first buffer opened).
---@param root string?
---@return teamlore.Workspace?
local function workspace_of(root)
  return root and trust.decide(root, M.config) or nil
end

--- Starts the server process, noting why when it cannot be started.
local function start_rpc(root, argv, dispatchers, opts)
  local ok, rpc = pcall(vim.lsp.rpc.start, argv, dispatchers, opts)
  if not ok then
    M.start_failures[root] = (tostring(rpc):gsub("^[^\n]-%.lua:%d+: ", "")) -- without Neovim's source location
    error(rpc, 0)
  end
  return rpc
end

--- Notes a server that exited with an error before or while it was running.
local function on_exit(code, signal, client_id)
  local client = vim.lsp.get_client_by_id(client_id)
  local root = client and client.root_dir
  if root and (code ~= 0 or signal ~= 0) then
    M.start_failures[root] = string.format(
      "the server %s with %s",
      client.initialized and "exited" or "exited before it was ready",
      signal ~= 0 and ("signal " .. signal) or ("code " .. code)
    )
  end
end

local function on_init(client)
  if client.root_dir then
    M.start_failures[client.root_dir] = nil
  end
end

--- Why no ready teamlore client serves `bufnr`: still starting, failed to start (and why),
--- no workspace, not trusted, or setup() not called. For messages of the commands.
---@param bufnr integer
---@return string
function M.why_not_running(bufnr)
  if not M.config then
    return "require('teamlore').setup() was not called"
  end
  local root = M.root_for(bufnr)
  if not root then
    return "the current buffer is not in a workspace (no " .. table.concat(M.config.root_markers, " or ") .. " above it)"
  end
  for _, client in ipairs(util.clients(nil, true)) do
    if client.root_dir == root and not client.initialized then
      return "the server is still starting; try again in a moment"
    end
  end
  if M.start_failures[root] then
    return "the server did not start: " .. M.start_failures[root] .. " (see :checkhealth teamlore)"
  end
  local workspace = trust.get(root)
  if workspace and not workspace.cmd then
    return "the workspace's teamlore program is not trusted (:Teamlore trust)"
  end
  return "the server is not running for " .. root .. " (see :checkhealth teamlore)"
end

--- workspace/configuration, restricted like initializationOptions for a restricted workspace.
local function configuration_handler(err, params, ctx)
  local result = vim.lsp.handlers["workspace/configuration"](err, params, ctx)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  local workspace = client and trust.get(client.root_dir or "")
  if workspace and workspace.restricted and type(result) == "table" then
    for i, item in ipairs(params.items or {}) do
      if item.section == util.SOURCE and type(result[i]) == "table" then
        result[i] = trust.restrict_settings(result[i], true)
      end
    end
  end
  return result
end

--- The client configuration handed to vim.lsp.config / vim.lsp.start. The command and
--- `restrictedMode` come from the workspace's trust decision (teamlore.trust).
function M.lsp_config()
  local config = M.config
  return {
    name = util.NAME,
    -- Neovim 0.11 passes the client config (with root_dir) to a cmd function.
    cmd = function(dispatchers, client_config)
      local workspace = assert(workspace_of(client_config.root_dir), "teamlore: no workspace root")
      return start_rpc(client_config.root_dir, assert(workspace.cmd, "teamlore: no trusted server command"), dispatchers, {
        cwd = client_config.cmd_cwd,
        env = client_config.cmd_env,
        detached = client_config.detached,
      })
    end,
    cmd_env = config.cmd_env,
    filetypes = config.filetypes,
    init_options = config.settings,
    settings = { teamlore = config.settings },
    handlers = { ["workspace/configuration"] = configuration_handler },
    capabilities = config.capabilities,
    commands = require("teamlore.commands").client_commands(),
    on_attach = config.on_attach,
    on_init = on_init,
    on_exit = on_exit,
    before_init = function(params, client_config)
      local workspace = workspace_of(client_config.root_dir)
      local restricted = not workspace or workspace.restricted
      local options = trust.restrict_settings(vim.deepcopy(params.initializationOptions or {}), restricted)
      options.restrictedMode = restricted
      params.initializationOptions = options
    end,
    root_dir = function(bufnr, on_dir)
      local root = M.root_for(bufnr)
      if root and workspace_of(root).cmd then
        on_dir(root)
      end
    end,
  }
end

--- Neovim 0.10: start (or reuse) the client for a buffer.
local function start_010(bufnr)
  local root = M.root_for(bufnr)
  if not root then
    return
  end
  local workspace = workspace_of(root)
  if not workspace.cmd then
    return
  end
  local config = M.lsp_config()
  config.root_dir = root
  config.cmd = function(dispatchers)
    return start_rpc(root, workspace.cmd, dispatchers, { cwd = config.cmd_cwd, env = config.cmd_env })
  end
  vim.lsp.start(config, { bufnr = bufnr })
end

--- Forgets the trust decision of `root`, stops its clients and starts them again, which
--- asks about the repository's files anew (`:Teamlore trust`).
---@param root string
function M.retrust(root)
  trust.forget(root)
  local clients = vim.tbl_filter(function(c)
    return c.root_dir == root
  end, util.clients())
  for _, client in ipairs(clients) do
    if util.has_011 then
      client:stop()
    else
      client.stop()
    end
  end
  vim.wait(5000, function()
    return #vim.tbl_filter(function(c)
      return c.root_dir == root
    end, util.clients()) == 0
  end, 20)
  if util.has_011 then
    vim.lsp.enable(util.NAME)
  else
    for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(bufnr) and vim.bo[bufnr].filetype ~= "" then
        start_010(bufnr)
      end
    end
  end
  if not trust.get(root) then
    trust.decide(root, M.config) -- no buffer of this root is loaded: ask now all the same
  end
end

---@param opts teamlore.Config|table|nil
function M.setup(opts)
  opts = opts or {}
  local config = vim.tbl_extend("force", vim.deepcopy(M.defaults), opts)
  config.cmd_from_user = opts.cmd ~= nil
  for _, key in ipairs({ "cmd", "root_markers", "settings" }) do
    if type(config[key]) ~= "table" then
      error(string.format("teamlore.setup: '%s' must be a table, got %s", key, type(config[key])), 2)
    end
  end
  M.config = config

  if util.has_011 then
    vim.lsp.config(util.NAME, M.lsp_config())
    vim.lsp.enable(util.NAME)
  else
    local group = vim.api.nvim_create_augroup("teamlore.start", { clear = true })
    vim.api.nvim_create_autocmd("FileType", {
      group = group,
      callback = function(args)
        if not config.filetypes or vim.tbl_contains(config.filetypes, args.match) then
          start_010(args.buf)
        end
      end,
    })
    for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(bufnr) and vim.bo[bufnr].filetype ~= "" then
        start_010(bufnr)
      end
    end
  end

  if config.forward_diagnostics then
    require("teamlore.forward").setup(config)
  end
  if config.capture_terminal then
    require("teamlore.terminal").setup(config)
  end
  return M
end

return M
