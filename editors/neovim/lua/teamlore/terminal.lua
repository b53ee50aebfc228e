--- Captures commands run in `:terminal` buffers: when one exits, its output (the buffer's
--- lines) goes to the server as `teamlore/terminalOutput`. A failure becomes diagnostics; a
--- success clears the errors of the same command, also those of an earlier session or of
--- `teamlore run` (the server keeps a passing run only when that command's latest run
--- failed) and may lead to an offer to save the fix. `teamlore run` itself is skipped: it
--- captures its own output.
local util = require("teamlore.util")

local M = {}

local METHOD = "teamlore/terminalOutput"
local max_output = 1000000

--- `term://{cwd}//{pid}:{cmd}` -> cwd, cmd
---@param name string
---@return string? cwd
---@return string? cmd
function M.parse_name(name)
  local cwd, cmd = name:match("^term://(.-)//%d+:(.*)$")
  if not cwd then
    return nil, nil
  end
  return vim.fs.normalize(cwd), cmd
end

function M.ignored(cmd)
  local first = cmd:match("^%s*(%S+)") or ""
  local base = vim.fs.basename(first)
  if base == "teamlore" or base == "teamlore.exe" then
    return cmd:match("%srun%s") ~= nil or cmd:match("%srun$") ~= nil
  end
  -- `python -m server run -- ...` (a development checkout)
  return cmd:match("%-m%s+server%s+.*run%s") ~= nil
end

--- The terminal's text: trailing blank lines and Neovim's "[Process exited N]" removed,
--- at most `max_output` characters (the end, where errors are).
---@param bufnr integer
---@return string
function M.output(bufnr)
  local lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  while #lines > 0 and (lines[#lines]:match("^%s*$") or lines[#lines]:match("^%[Process exited %-?%d+%]$")) do
    table.remove(lines)
  end
  local text = table.concat(lines, "\n") .. "\n"
  if #text > max_output then
    text = text:sub(#text - max_output + 1)
  end
  return text
end

--- Handles a terminal that closed.
---@param bufnr integer
---@param status integer exit status
---@return table? params what was sent
function M.closed(bufnr, status)
  if vim.b[bufnr].teamlore_run then
    return nil
  end
  local cwd, cmd = M.parse_name(vim.api.nvim_buf_get_name(bufnr))
  if not cmd or cmd == "" or M.ignored(cmd) then
    return nil
  end
  local client = util.client_for(nil, cwd)
  if not client then
    return nil
  end
  local params = { command = cmd, cwd = cwd, exitCode = status, output = M.output(bufnr) }
  util.notify_server(client, METHOD, params)
  return params
end

---@param config table
function M.setup(config)
  max_output = config.max_output or max_output
  local group = vim.api.nvim_create_augroup("teamlore.terminal", { clear = true })
  vim.api.nvim_create_autocmd("TermClose", {
    group = group,
    callback = function(args)
      local status = vim.v.event and vim.v.event.status or -1
      local bufnr = args.buf
      -- Let the last output reach the buffer before reading it.
      vim.schedule(function()
        if vim.api.nvim_buf_is_valid(bufnr) then
          M.closed(bufnr, status)
        end
      end)
    end,
  })
end

return M
