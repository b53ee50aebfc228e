--- Small helpers shared by the plugin's modules; they hide the API differences
--- between Neovim 0.10 and 0.11+.
local M = {}

M.NAME = "teamlore"
M.SOURCE = "teamlore"

M.has_011 = vim.fn.has("nvim-0.11") == 1

--- Every running teamlore client, optionally only those attached to `bufnr`; with
--- `starting`, also those still starting (not yet initialized).
---@param bufnr integer?
---@param starting boolean?
---@return vim.lsp.Client[]
function M.clients(bufnr, starting)
  return vim.lsp.get_clients({ name = M.NAME, bufnr = bufnr, _uninitialized = starting or nil })
end

--- The teamlore client for a buffer: attached to it, else the one whose root holds
--- `path`, else any.
---@param bufnr integer?
---@param path string?
---@return vim.lsp.Client?
function M.client_for(bufnr, path)
  if bufnr then
    local attached = M.clients(bufnr)
    if attached[1] then
      return attached[1]
    end
  end
  local all = M.clients()
  if path then
    for _, client in ipairs(all) do
      local root = client.root_dir or (client.config and client.config.root_dir)
      if root and (path == root or vim.startswith(path, root .. "/")) then
        return client
      end
    end
  end
  return all[1]
end

function M.notify_server(client, method, params)
  if M.has_011 then
    return client:notify(method, params)
  end
  return client.notify(method, params)
end

function M.request(client, method, params, handler, bufnr)
  if M.has_011 then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

--- Namespaces holding the diagnostics teamlore's own clients published.
---@return table<integer, true>
function M.own_namespaces()
  local set = {}
  for _, client in ipairs(M.clients()) do
    set[vim.lsp.diagnostic.get_namespace(client.id, false)] = true
  end
  return set
end

--- Byte column -> character in the client's position encoding.
local function character(bufnr, lnum, col, encoding)
  local line = vim.api.nvim_buf_get_lines(bufnr, lnum, lnum + 1, false)[1] or ""
  col = math.max(0, math.min(col or 0, #line))
  if encoding == "utf-8" then
    return col
  end
  if M.has_011 then
    return vim.str_utfindex(line, encoding, col, false)
  end
  local utf32, utf16 = vim.str_utfindex(line, col)
  return encoding == "utf-16" and utf16 or utf32
end

--- A vim.diagnostic item as an LSP Diagnostic. Fields that vim.diagnostic drops
--- (codeDescription, data, tags, ...) come from `user_data.lsp` when an LSP client
--- set the diagnostic; the range is recomputed from the byte columns in `encoding`,
--- because the original server may have used another encoding.
---@param d vim.Diagnostic
---@param bufnr integer
---@param encoding string
---@return table
function M.to_lsp(d, bufnr, encoding)
  local raw = (d.user_data and d.user_data.lsp) or {}
  local end_lnum = d.end_lnum or d.lnum
  return {
    range = {
      start = { line = d.lnum, character = character(bufnr, d.lnum, d.col, encoding) },
      ["end"] = { line = end_lnum, character = character(bufnr, end_lnum, d.end_col or d.col, encoding) },
    },
    message = d.message,
    severity = d.severity,
    source = d.source or raw.source,
    code = d.code or raw.code,
    codeDescription = raw.codeDescription,
    tags = raw.tags,
    relatedInformation = raw.relatedInformation,
    data = raw.data,
  }
end

--- Diagnostics under the cursor (all namespaces), else those on the cursor's line.
---@param bufnr integer
---@return vim.Diagnostic[]
function M.diagnostics_at_cursor(bufnr)
  local win = vim.api.nvim_get_current_win()
  local cursor = vim.api.nvim_win_get_cursor(win)
  local lnum, col = cursor[1] - 1, cursor[2]
  local on_line = vim.diagnostic.get(bufnr, { lnum = lnum })
  local covering = {}
  for _, d in ipairs(on_line) do
    local end_lnum = d.end_lnum or d.lnum
    local end_col = d.end_col or d.col
    local after_start = lnum > d.lnum or col >= d.col
    local before_end = lnum < end_lnum or col <= end_col
    if after_start and before_end then
      table.insert(covering, d)
    end
  end
  return #covering > 0 and covering or on_line
end

--- The teamlore data a diagnostic carries (`Diagnostic.data`), or nil.
function M.teamlore_data(d)
  local data = d.user_data and d.user_data.lsp and d.user_data.lsp.data
  if type(data) == "table" and type(data.teamlore) == "string" then
    return data
  end
  return nil
end

--- The command line that runs the teamlore CLI, derived from the server command
--- (`{"teamlore", "lsp"}` -> `{"teamlore"}`): the one decided for the workspace at `root`
--- when there is a decision, else `config.cmd`. nil: the workspace's program is not trusted.
---@param config table
---@param root string?
---@return string[]?
function M.cli(config, root)
  if config.cli then
    return vim.deepcopy(config.cli)
  end
  local workspace = root and require("teamlore.trust").get(root)
  if workspace and not workspace.cmd then
    return nil
  end
  local cmd = vim.deepcopy(workspace and workspace.cmd or config.cmd)
  if cmd[#cmd] == "lsp" then
    table.remove(cmd)
  end
  return cmd
end

return M
