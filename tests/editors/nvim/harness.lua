-- Shared by the Neovim end-to-end drivers. Settings come in through environment
-- variables set by tests/editors/test_neovim_e2e.py; results go out as JSON to
-- $TEAMLORE_TEST_OUT (Neovim's own output is not parsed).
local H = {}

H.env = {
  python = assert(os.getenv("TEAMLORE_TEST_PYTHON"), "TEAMLORE_TEST_PYTHON"),
  plugin = assert(os.getenv("TEAMLORE_TEST_PLUGIN"), "TEAMLORE_TEST_PLUGIN"),
  out = assert(os.getenv("TEAMLORE_TEST_OUT"), "TEAMLORE_TEST_OUT"),
  file = os.getenv("TEAMLORE_TEST_FILE"),
}

vim.opt.runtimepath:prepend(H.env.plugin)
vim.o.columns = 240 -- terminal buffers wrap long lines at this width
vim.o.swapfile = false

-- Headless Neovim would wait forever on the default prompt; tests answer it.
vim.lsp.handlers["window/showMessageRequest"] = function(_, params)
  return params.actions and params.actions[1] or vim.NIL
end

H.result = { steps = {} }

function H.step(name)
  table.insert(H.result.steps, name)
end

function H.setup(extra)
  local opts = vim.tbl_extend("force", {
    cmd = { H.env.python, "-m", "server", "lsp" },
    debounce_ms = 50,
  }, extra or {})
  require("teamlore").setup(opts)
end

--- Waits until `predicate()` is truthy; errors with `what` on timeout.
function H.wait(ms, what, predicate)
  local value
  local ok = vim.wait(ms, function()
    value = predicate()
    return value
  end, 20)
  if not ok then
    error("timed out waiting for " .. what, 2)
  end
  return value
end

--- Opens the test file and waits for the teamlore client to attach and initialize.
function H.open_and_attach()
  vim.cmd.edit(vim.fn.fnameescape(H.env.file))
  local buf = vim.api.nvim_get_current_buf()
  local client = H.wait(20000, "the teamlore client to attach", function()
    local c = vim.lsp.get_clients({ name = "teamlore", bufnr = buf })[1]
    if c and c.initialized then
      return c
    end
    local any = vim.lsp.get_clients({ name = "teamlore" })[1]
    if any and any:is_stopped() then
      error("the teamlore server stopped (see lsp.log)")
    end
  end)
  H.step("attached")
  return buf, client
end

--- Diagnostics that teamlore's client published for `buf`.
function H.own_diagnostics(buf, client)
  return vim.diagnostic.get(buf, { namespace = vim.lsp.diagnostic.get_namespace(client.id, false) })
end

--- The commands of teamlore's terminal diagnostics in `buf`, sorted.
function H.terminal_commands(buf, client)
  local out = {}
  for _, d in ipairs(H.own_diagnostics(buf, client)) do
    local data = d.user_data and d.user_data.lsp and d.user_data.lsp.data
    if d.code == "terminal" and type(data) == "table" then
      table.insert(out, data.command)
    end
  end
  table.sort(out)
  return out
end

--- Runs `command` in a `:terminal` split and waits until it exited.
function H.run_in_terminal(command)
  local closed = false
  vim.api.nvim_create_autocmd("TermClose", { once = true, callback = function() closed = true end })
  vim.cmd("botright split")
  vim.cmd.terminal(command)
  H.wait(20000, "the command to finish", function() return closed end)
  vim.cmd("wincmd p")
end

--- Replaces vim.notify; returns the list the messages go to.
function H.capture_messages()
  local messages = {}
  vim.notify = function(msg)
    table.insert(messages, msg)
  end
  return messages
end

function H.hover_text(buf, client, lnum, col)
  vim.api.nvim_win_set_cursor(0, { lnum + 1, col })
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  local responses = vim.lsp.buf_request_sync(buf, "textDocument/hover", params, 5000) or {}
  local r = responses[client.id]
  if not r or not r.result or not r.result.contents then
    return nil
  end
  local contents = r.result.contents
  local text = type(contents) == "table" and (contents.value or vim.inspect(contents)) or tostring(contents)
  -- As the reader sees it: record text is markdown-escaped (`user\_id` shows as `user_id`).
  return (text:gsub("\\(%p)", "%1"))
end

local function finish(ok, err)
  H.result.ok = ok
  H.result.error = err
  local f = assert(io.open(H.env.out, "w"))
  f:write(vim.json.encode(H.result))
  f:close()
  for _, c in ipairs(vim.lsp.get_clients()) do
    c:stop(true)
  end
  vim.wait(2000, function()
    return #vim.lsp.get_clients() == 0
  end, 20)
  if ok then
    vim.cmd("qall!")
  else
    vim.cmd("cquit! 1")
  end
end

--- Runs `main` once Neovim has started (nested, so FileType events fire and
--- vim.lsp.enable starts the client), and exits non-zero on any error.
function H.run(main)
  vim.api.nvim_create_autocmd("VimEnter", {
    once = true,
    nested = true,
    callback = function()
      local ok, err = xpcall(main, debug.traceback)
      finish(ok, not ok and tostring(err) or nil)
    end,
  })
end

return H
