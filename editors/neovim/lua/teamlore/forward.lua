--- Forwards other sources' diagnostics to the server (`teamlore/didChangeDiagnostics`).
---
--- LSP gives a server no view of other servers' diagnostics, so the plugin sends them:
--- debounced, per buffer, without teamlore's own namespace, and only when a buffer's
--- foreign diagnostics really changed (so teamlore republishing does not echo back).
local util = require("teamlore.util")

local M = {}

local METHOD = "teamlore/didChangeDiagnostics"

local pending = {} ---@type table<integer, true>
local last_sent = {} ---@type table<integer, string>
local timer = nil
local delay_ms = 300

--- The buffer's diagnostics that did not come from teamlore, as LSP diagnostics.
---@param bufnr integer
---@param encoding string
---@return table[]
function M.foreign(bufnr, encoding)
  local own = util.own_namespaces()
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if not own[d.namespace] and d.source ~= util.SOURCE and not util.teamlore_data(d) then
      table.insert(out, util.to_lsp(d, bufnr, encoding))
    end
  end
  table.sort(out, function(a, b)
    if a.range.start.line ~= b.range.start.line then
      return a.range.start.line < b.range.start.line
    end
    return a.range.start.character < b.range.start.character
  end)
  return out
end

--- Sends the buffer's foreign diagnostics if they changed since the last time.
---@param bufnr integer
---@return boolean sent
function M.send(bufnr)
  if not vim.api.nvim_buf_is_valid(bufnr) or vim.bo[bufnr].buftype ~= "" then
    return false
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == "" then
    return false
  end
  local client = util.clients(bufnr)[1]
  if not client or (client.is_stopped and client:is_stopped()) or not client.initialized then
    return false
  end
  local diagnostics = M.foreign(bufnr, client.offset_encoding or "utf-16")
  local signature = vim.json.encode(diagnostics)
  local previous = last_sent[bufnr]
  if previous == signature or (previous == nil and #diagnostics == 0) then
    return false
  end
  util.notify_server(client, METHOD, { uri = vim.uri_from_bufnr(bufnr), diagnostics = diagnostics })
  last_sent[bufnr] = signature
  return true
end

local function flush()
  local bufs = vim.tbl_keys(pending)
  pending = {}
  for _, bufnr in ipairs(bufs) do
    local ok, err = pcall(M.send, bufnr)
    if not ok then
      vim.notify("teamlore: forwarding diagnostics failed: " .. tostring(err), vim.log.levels.DEBUG)
    end
  end
end

--- Note that a buffer's diagnostics changed; they are sent after the debounce delay.
---@param bufnr integer
function M.changed(bufnr)
  pending[bufnr] = true
  timer = timer or vim.uv.new_timer()
  timer:stop()
  timer:start(delay_ms, 0, vim.schedule_wrap(flush))
end

--- Forget what was sent to the server (it restarted) and re-send this buffer.
function M.reset(bufnr)
  last_sent[bufnr] = nil
  M.changed(bufnr)
end

---@param config table
function M.setup(config)
  delay_ms = config.debounce_ms or 300
  local group = vim.api.nvim_create_augroup("teamlore.forward", { clear = true })
  vim.api.nvim_create_autocmd("DiagnosticChanged", {
    group = group,
    callback = function(args)
      M.changed(args.buf)
    end,
  })
  vim.api.nvim_create_autocmd("LspAttach", {
    group = group,
    callback = function(args)
      local client = vim.lsp.get_client_by_id(args.data.client_id)
      if client and client.name == util.NAME then
        M.reset(args.buf)
      end
    end,
  })
  vim.api.nvim_create_autocmd({ "BufWipeout", "BufDelete" }, {
    group = group,
    callback = function(args)
      last_sent[args.buf] = nil
      pending[args.buf] = nil
    end,
  })
end

return M
