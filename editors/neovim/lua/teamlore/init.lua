--- teamlore for Neovim: starts `teamlore lsp` for files in a git workspace and connects
--- what LSP does not cover (other sources' diagnostics, :terminal, prompts).
---
---   require("teamlore").setup({})            -- defaults below
local util = require("teamlore.util")

local M = {}

M.defaults = {
  --- How to start the server.
  cmd = { "teamlore", "lsp" },
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

--- The client configuration handed to vim.lsp.config / vim.lsp.start.
function M.lsp_config()
  local config = M.config
  return {
    name = util.NAME,
    cmd = config.cmd,
    cmd_env = config.cmd_env,
    filetypes = config.filetypes,
    init_options = config.settings,
    settings = { teamlore = config.settings },
    capabilities = config.capabilities,
    commands = require("teamlore.commands").client_commands(),
    on_attach = config.on_attach,
    root_dir = function(bufnr, on_dir)
      local root = M.root_for(bufnr)
      if root then
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
  local config = M.lsp_config()
  config.root_dir = root
  vim.lsp.start(config, { bufnr = bufnr })
end

---@param opts table?
function M.setup(opts)
  opts = opts or {}
  local config = vim.tbl_extend("force", vim.deepcopy(M.defaults), opts)
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
