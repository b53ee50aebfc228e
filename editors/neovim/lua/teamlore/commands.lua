--- The server's commands, run from code actions and from `:Teamlore`.
---
--- Code actions carry a Command whose arguments may lack what a person has to type
--- (the fix, a triage reason). The handlers below are registered as client-side
--- commands, so Neovim calls them instead of sending the command as is; they ask with
--- `vim.ui.input` / `vim.ui.select`, then send `workspace/executeCommand`.
local util = require("teamlore.util")

local M = {}

local function notify(message, level)
  vim.notify("teamlore: " .. message, level or vim.log.levels.INFO)
end

local function filled(v)
  return type(v) == "string" and vim.trim(v) ~= ""
end

local function ask(opts, callback)
  vim.ui.input(opts, function(text)
    if filled(text) then
      callback(vim.trim(text))
    end
  end)
end

--- Sends workspace/executeCommand; `on_result(result)` runs on success.
function M.execute(client, bufnr, command, args, on_result)
  util.request(client, "workspace/executeCommand", { command = command, arguments = args }, function(err, result)
    if err then
      notify(command .. " failed: " .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      return
    end
    if on_result then
      on_result(result)
    end
  end, bufnr)
end

--- Markdown in a scratch split (long reports) or a floating window (short lists).
function M.show_markdown(title, markdown, float)
  local lines = vim.split(markdown, "\n", { plain = true })
  if float then
    return vim.lsp.util.open_floating_preview(lines, "markdown", { border = "rounded", title = title })
  end
  vim.cmd("botright new")
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].buftype = "nofile"
  vim.bo[buf].bufhidden = "wipe"
  vim.bo[buf].swapfile = false
  pcall(vim.api.nvim_buf_set_name, buf, "teamlore://" .. title)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].filetype = "markdown"
  vim.bo[buf].modifiable = false
  return buf
end

--- Record text on one line (a record cannot add lines, headings or list items of its own).
local function one_line(text)
  return vim.trim((tostring(text):gsub("%s+", " ")))
end

--- The past fixes of a `teamlore.showMatches` result: fix, root cause, then author, date
--- and record id.
function M.matches_markdown(result)
  local matches = type(result) == "table" and result.matches or nil
  if type(matches) ~= "table" or #matches == 0 then
    return "No past fix recorded for this error."
  end
  local out = {}
  for i, m in ipairs(matches) do
    local line = string.format("%d. **%s**", i, one_line(m.fix or ""))
    if type(m.score) == "number" then
      line = line .. string.format(" (score %.2f)", m.score)
    end
    table.insert(out, line)
    if filled(m.root_cause) then
      table.insert(out, "   root cause: " .. one_line(m.root_cause))
    end
    local meta = {}
    table.insert(meta, "by " .. (filled(m.author) and one_line(m.author) or "unknown"))
    if filled(m.created) then
      table.insert(meta, one_line(m.created:sub(1, 10)))
    end
    if filled(m.id) then
      table.insert(meta, "`" .. one_line(m.id):gsub("`", "") .. "`")
    end
    table.insert(out, "   " .. table.concat(meta, " · "))
  end
  return table.concat(out, "\n")
end

--- One diagnostic out of several: the only one, or the one picked.
local function choose(items, prompt, callback)
  if #items == 0 then
    return callback(nil)
  end
  if #items == 1 then
    return callback(items[1])
  end
  vim.ui.select(items, {
    prompt = prompt,
    format_item = function(d)
      return string.format("%s [%s]", vim.split(d.message, "\n")[1], d.source or "?")
    end,
  }, function(choice)
    if choice then
      callback(choice)
    end
  end)
end

--- Fills `arg.error` from the diagnostic under the cursor, else asks for it.
local function with_error(arg, bufnr, title, callback)
  if filled(arg.error) then
    return callback(arg)
  end
  -- One candidate per error: teamlore's "seen before" diagnostic repeats the error of
  -- the diagnostic it annotates, and carries the full text in its data.
  local candidates, by_text = {}, {}
  local all = util.diagnostics_at_cursor(bufnr)
  table.sort(all, function(a, b)
    local da, db = util.teamlore_data(a) and 0 or 1, util.teamlore_data(b) and 0 or 1
    if da ~= db then
      return da < db
    end
    return (a.severity or 9) < (b.severity or 9)
  end)
  for _, d in ipairs(all) do
    local data = util.teamlore_data(d)
    if not (data and data.teamlore == "finding") then
      local text = (data and data.error) or d.message
      if not by_text[text] then
        by_text[text] = true
        table.insert(candidates, d)
      end
    end
  end
  choose(candidates, title, function(d)
    if d then
      local data = util.teamlore_data(d)
      arg.error = (data and data.error) or d.message
      arg.uri = arg.uri or vim.uri_from_bufnr(bufnr)
      arg.line = arg.line or d.lnum
      return callback(arg)
    end
    ask({ prompt = "Error text: " }, function(text)
      arg.error = text
      callback(arg)
    end)
  end)
end

local handlers = {}

handlers["teamlore.recordFix"] = function(client, bufnr, args)
  local arg = vim.deepcopy(type(args[1]) == "table" and args[1] or {})
  with_error(arg, bufnr, "Record fix for", function(a)
    local function run()
      M.execute(client, bufnr, "teamlore.recordFix", { a }, function(result)
        notify("fix recorded" .. (type(result) == "table" and result.id and (" (" .. result.id .. ")") or ""))
      end)
    end
    if filled(a.fix) then
      return run()
    end
    local last = vim.split(vim.trim(a.error), "\n")
    ask({ prompt = "How was it fixed? (" .. last[#last] .. "): " }, function(fix)
      a.fix = fix
      run()
    end)
  end)
end

handlers["teamlore.showMatches"] = function(client, bufnr, args)
  local arg = vim.deepcopy(type(args[1]) == "table" and args[1] or {})
  with_error(arg, bufnr, "Past fixes for", function(a)
    a.quiet = true -- the float below shows the result; no message from the server as well
    M.execute(client, bufnr, "teamlore.showMatches", { a }, function(result)
      M.show_markdown("past fixes", M.matches_markdown(result), true)
    end)
  end)
end

local function triage(command)
  local false_positive = command == "teamlore.markFalsePositive"
  return function(client, bufnr, args)
    local function decide(arg)
      local function run()
        M.execute(client, bufnr, command, { arg }, function()
          notify(false_positive and "marked as false positive" or "risk accepted")
        end)
      end
      if filled(arg.reason) then
        return run()
      end
      ask({ prompt = false_positive and "Why is this a false positive? " or "Why is this risk acceptable? " }, function(r)
        arg.reason = r
        run()
      end)
    end
    local given = vim.deepcopy(type(args[1]) == "table" and args[1] or {})
    if given.findings or given.fingerprint or given.fingerprints then
      return decide(given)
    end
    local findings = {}
    for _, d in ipairs(util.diagnostics_at_cursor(bufnr)) do
      local data = util.teamlore_data(d)
      if data and data.teamlore == "finding" then
        table.insert(findings, d)
      end
    end
    if #findings == 0 then
      return notify("no security finding at the cursor", vim.log.levels.WARN)
    end
    choose(findings, false_positive and "Mark as false positive" or "Accept risk", function(d)
      decide({ findings = { util.teamlore_data(d) }, uri = vim.uri_from_bufnr(bufnr), reason = given.reason })
    end)
  end
end

handlers["teamlore.markFalsePositive"] = triage("teamlore.markFalsePositive")
handlers["teamlore.acceptRisk"] = triage("teamlore.acceptRisk")

handlers["teamlore.debtReport"] = function(client, bufnr, args)
  M.execute(client, bufnr, "teamlore.debtReport", args, function(result)
    local md = type(result) == "table" and result.markdown or result
    M.show_markdown("debt report", type(md) == "string" and md or vim.inspect(result), false)
  end)
end

local function pick_proposal(client, bufnr, callback)
  M.execute(client, bufnr, "teamlore.pendingFixes", {}, function(result)
    local proposals = type(result) == "table" and result.proposals or {}
    if #proposals == 0 then
      return notify("no proposed fixes waiting")
    end
    vim.ui.select(proposals, {
      prompt = "Proposed fixes",
      format_item = function(p)
        return string.format("%s — %s", p.summary or p.id, vim.split(p.error or "", "\n")[1])
      end,
    }, function(p)
      if p then
        callback(p)
      end
    end)
  end)
end

local function decide_proposal(client, bufnr, command, proposal)
  if command == "teamlore.dismissFix" then
    return M.execute(client, bufnr, command, { { id = proposal.id } }, function()
      notify("proposal dismissed")
    end)
  end
  local function run(fix)
    M.execute(client, bufnr, command, { { id = proposal.id, fix = fix } }, function()
      notify("fix remembered")
    end)
  end
  if filled(proposal.fix) then
    return run(proposal.fix)
  end
  ask({ prompt = "Fix summary to remember: ", default = proposal.summary or "" }, run)
end

handlers["teamlore.pendingFixes"] = function(client, bufnr)
  pick_proposal(client, bufnr, function(p)
    vim.ui.select({ "Accept", "Dismiss" }, { prompt = p.summary or p.id }, function(choice)
      if choice then
        decide_proposal(client, bufnr, choice == "Accept" and "teamlore.acceptFix" or "teamlore.dismissFix", p)
      end
    end)
  end)
end

for _, command in ipairs({ "teamlore.acceptFix", "teamlore.dismissFix" }) do
  handlers[command] = function(client, bufnr, args)
    local arg = args[1]
    if type(arg) == "string" then
      arg = { id = arg }
    end
    if type(arg) == "table" and filled(arg.id) then
      return decide_proposal(client, bufnr, command, arg)
    end
    pick_proposal(client, bufnr, function(p)
      decide_proposal(client, bufnr, command, p)
    end)
  end
end

handlers["teamlore.clearTerminalErrors"] = function(client, bufnr)
  local root = client.root_dir or vim.fn.getcwd()
  M.execute(client, bufnr, "teamlore.clearTerminalErrors", { { uri = vim.uri_from_fname(root) } }, function(result)
    local n = type(result) == "table" and tonumber(result.cleared) or 0
    notify(string.format("cleared the terminal errors of %d command%s", n, n == 1 and "" or "s"))
  end)
end

M.handlers = handlers

--- Client-side command handlers for the LSP client config (`commands = ...`).
function M.client_commands()
  local out = {}
  for name, handler in pairs(handlers) do
    out[name] = function(command, ctx)
      local client = vim.lsp.get_client_by_id(ctx.client_id) or util.client_for(ctx.bufnr)
      if not client then
        local why = require("teamlore").why_not_running(ctx.bufnr or vim.api.nvim_get_current_buf())
        return notify(why, vim.log.levels.ERROR)
      end
      handler(client, ctx.bufnr or vim.api.nvim_get_current_buf(), command.arguments or {})
    end
  end
  return out
end

--- Runs `teamlore run -- {cmd}` in a terminal split at the workspace root.
function M.run_in_terminal(cmdline, config)
  if not filled(cmdline) then
    return notify("usage: :Teamlore run {cmd}", vim.log.levels.ERROR)
  end
  local bufnr = vim.api.nvim_get_current_buf()
  local client = util.client_for(bufnr, vim.fn.getcwd())
  local root = (client and client.root_dir) or vim.fs.root(bufnr, config.root_markers) or vim.fn.getcwd()
  local argv = util.cli(config, root)
  if not argv then
    return notify("the workspace's teamlore program is not trusted (:Teamlore trust)", vim.log.levels.ERROR)
  end
  vim.list_extend(argv, { "run", "--" })
  if cmdline:find("[\"'|&;<>()$`*?\\]") then
    vim.list_extend(argv, { vim.o.shell, vim.o.shellcmdflag, cmdline })
  else
    vim.list_extend(argv, vim.split(vim.trim(cmdline), "%s+"))
  end
  vim.cmd("botright new")
  -- The CLI captures this run itself; the TermClose capture skips the buffer.
  vim.b.teamlore_run = true
  if util.has_011 then
    vim.fn.jobstart(argv, { term = true, cwd = root, env = config.cmd_env })
  else
    vim.fn.termopen(argv, { cwd = root, env = config.cmd_env })
  end
end

local SUBCOMMANDS = {
  record = function(rest)
    return "teamlore.recordFix", filled(rest) and { { fix = rest } } or {}
  end,
  falsepositive = function(rest)
    return "teamlore.markFalsePositive", filled(rest) and { { reason = rest } } or {}
  end,
  acceptrisk = function(rest)
    return "teamlore.acceptRisk", filled(rest) and { { reason = rest } } or {}
  end,
  matches = function()
    return "teamlore.showMatches", {}
  end,
  debt = function()
    return "teamlore.debtReport", {}
  end,
  pending = function()
    return "teamlore.pendingFixes", {}
  end,
  clear = function()
    return "teamlore.clearTerminalErrors", {}
  end,
}

M.subcommands = { "record", "falsepositive", "acceptrisk", "matches", "debt", "pending", "clear", "run", "trust" }

--- `:Teamlore trust`: asks again about the current workspace's files (project server,
--- `.teamlore/config.toml`) and restarts its server with the answer.
function M.retrust()
  local teamlore = require("teamlore")
  if not teamlore.config then
    return notify("require('teamlore').setup() was not called", vim.log.levels.ERROR)
  end
  local root = teamlore.root_for(vim.api.nvim_get_current_buf())
  if not root then
    return notify("the current buffer is not in a workspace", vim.log.levels.ERROR)
  end
  teamlore.retrust(root)
end

--- `:Teamlore {subcommand} [args]`
function M.dispatch(opts)
  local config = require("teamlore").config or require("teamlore").defaults
  local sub, rest = (opts.args or ""):match("^%s*(%S*)%s*(.-)%s*$")
  if sub == "run" then
    return M.run_in_terminal(rest, config)
  end
  if sub == "trust" then
    return M.retrust()
  end
  local make = SUBCOMMANDS[sub]
  if not make then
    return notify("unknown subcommand '" .. sub .. "'; one of: " .. table.concat(M.subcommands, ", "), vim.log.levels.ERROR)
  end
  local bufnr = vim.api.nvim_get_current_buf()
  local client = util.client_for(bufnr, vim.api.nvim_buf_get_name(bufnr))
  if not client then
    return notify(require("teamlore").why_not_running(bufnr), vim.log.levels.ERROR)
  end
  local command, args = make(rest)
  handlers[command](client, bufnr, args)
end

function M.complete(arglead, cmdline)
  if cmdline:match("^%s*%S+%s+%S+%s") then
    return {}
  end
  return vim.tbl_filter(function(s)
    return vim.startswith(s, arglead)
  end, M.subcommands)
end

return M
