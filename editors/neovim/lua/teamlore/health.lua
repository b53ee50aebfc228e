--- `:checkhealth teamlore`: server found and its version, memory found, scanners.
local M = {}

local health = vim.health

local function resolve(exe)
  if exe:find("/") then
    return vim.fn.executable(exe) == 1 and vim.fn.fnamemodify(exe, ":p") or nil
  end
  local path = vim.fn.exepath(exe)
  return path ~= "" and path or nil
end

local function run(argv, env)
  local ok, obj = pcall(function()
    return vim.system(argv, { text = true, env = env }):wait(15000)
  end)
  if not ok then
    return nil, tostring(obj)
  end
  if obj.code ~= 0 then
    local said = vim.trim((obj.stderr or "") .. (obj.stdout or ""))
    return nil, said ~= "" and said or ("exit code " .. tostring(obj.code))
  end
  return vim.trim(obj.stdout or ""), nil
end

function M.check()
  local teamlore = require("teamlore")
  local util = require("teamlore.util")
  local config = teamlore.config

  health.start("teamlore: Neovim")
  if vim.fn.has("nvim-0.10") == 1 then
    health.ok("Neovim " .. tostring(vim.version()) .. (util.has_011 and " (vim.lsp.config/enable)" or " (vim.lsp.start)"))
  else
    health.error("Neovim 0.10 or newer is needed")
  end
  if config then
    health.ok("setup() was called")
  else
    health.warn("require('teamlore').setup() was not called; defaults are shown below", {
      "Add require('teamlore').setup({}) to your init.lua (lazy.nvim: opts = {}).",
    })
    config = teamlore.defaults
  end

  health.start("teamlore: server")
  local exe = resolve(config.cmd[1])
  if not exe then
    health.error("server command not found: " .. config.cmd[1], {
      "Install it in a virtual environment and start Neovim with that environment's bin on the PATH,",
      "or set cmd = { '/path/to/venv/bin/teamlore', 'lsp' } in setup(). See :help teamlore-install.",
    })
  else
    health.ok("server command: " .. table.concat(config.cmd, " ") .. " (" .. exe .. ")")
    local argv = util.cli(config) or {}
    if not config.cli then
      argv[1] = exe -- the program checked above, not a second PATH lookup
    end
    table.insert(argv, "--version")
    local version, err = run(argv, config.cmd_env)
    if version then
      health.ok("version: " .. version)
    else
      health.error("`" .. table.concat(argv, " ") .. "` failed: " .. (err or "?"))
    end
  end
  local clients = util.clients()
  local running = {}
  for _, client in ipairs(util.clients(nil, true)) do
    if client.initialized then
      running[client.root_dir or "?"] = true
      health.ok(string.format("client %d running for %s", client.id, client.root_dir or "?"))
    else
      health.info(string.format("client %d is still starting for %s", client.id, client.root_dir or "?"))
    end
  end
  local failures = 0
  for root, reason in pairs(teamlore.start_failures) do
    if not running[root] then
      failures = failures + 1
      health.error("the server did not start for " .. root .. ": " .. reason, {
        "Check the server command above; run it in a shell to see its own error.",
        "Its messages are in the LSP log: " .. vim.lsp.get_log_path(),
      })
    end
  end
  if #util.clients(nil, true) == 0 and failures == 0 then
    health.info("no teamlore client is running yet (it starts when a file in a git workspace is opened)")
  end

  health.start("teamlore: memory")
  -- The workspaces of the running clients; else the one holding the current file or cwd
  -- (during :checkhealth the current buffer is the report itself).
  local roots, seen = {}, {}
  for _, client in ipairs(clients) do
    if client.root_dir and not seen[client.root_dir] then
      seen[client.root_dir] = true
      table.insert(roots, client.root_dir)
    end
  end
  if #roots == 0 then
    local alt = vim.fn.bufnr("#")
    local start = vim.fn.getcwd()
    if alt > 0 and vim.bo[alt].buftype == "" and vim.api.nvim_buf_get_name(alt) ~= "" then
      start = vim.api.nvim_buf_get_name(alt)
    end
    local root = vim.fs.root(start, config.root_markers)
    if root then
      table.insert(roots, root)
    else
      health.warn("no workspace here (none of " .. table.concat(config.root_markers, ", ") .. " above " .. start .. ")")
    end
  end
  for _, root in ipairs(roots) do
    local workspace = require("teamlore.trust").get(root)
    if workspace and #workspace.refused > 0 then
      health.warn("not trusted, not used: " .. table.concat(workspace.refused, ", "), {
        ":Teamlore trust asks again; :trust on a file's buffer trusts it.",
      })
    end
    if workspace and workspace.restricted then
      health.info(root .. ": the server runs restricted (no sync, no scanners on save)")
    end
    local store = vim.fs.joinpath(vim.fn.fnamemodify(root, ":p"), ".teamlore")
    if vim.fn.isdirectory(store) == 1 then
      local n = #vim.fn.globpath(store .. "/bugs", "*.json", false, true)
      health.ok(string.format("memory found: %s (%d bug record%s)", store, n, n == 1 and "" or "s"))
    else
      health.info("no memory yet at " .. store .. " (it is created when the first fix is recorded)")
    end
  end

  health.start("teamlore: security scanners")
  local dir = exe and vim.fs.dirname(exe) or nil
  local found = 0
  for _, name in ipairs({ "bandit", "semgrep", "ruff" }) do
    local path = resolve(name)
    if not path and dir and vim.fn.executable(dir .. "/" .. name) == 1 then
      path = dir .. "/" .. name
    end
    if path then
      found = found + 1
      health.ok(name .. ": " .. path)
    else
      health.info(name .. ": not installed (optional)")
    end
  end
  if found == 0 then
    -- Fine for the bug memory alone: scanners only add security findings.
    health.info("no security scanner installed: the bug memory works without one; security findings "
      .. "come only from forwarded diagnostics. pip install 'teamlore[security]' installs bandit.")
  end
end

return M
