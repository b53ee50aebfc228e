--- What the plugin takes from a repository, and the user's consent to it.
---
--- The plugin's defaults and the user's setup() options are trusted. A repository is
--- someone else's input, so whatever it supplies that would be executed, or would decide
--- what the server runs or connects to, goes through |vim.secure.read()|: Neovim asks
--- once, and the answer is kept in its trust database (|:trust|), outside the repository
--- and tied to the file's contents, so a changed file asks again. That covers:
---
--- - the project's own server (`project_server`, e.g. `.venv/bin/teamlore`), looked at
---   only when setup() did not set `cmd`;
--- - the server that `cmd` names when the PATH resolves it inside the workspace;
--- - `.teamlore/config.toml`, whose sync URL and other settings the server would honour.
---   Not trusted: the server runs with `restrictedMode = true` (no sync, no scanners on
---   save, no committed setting that connects, runs a program or leaves the repository).
---
--- Decisions are made once per workspace root and session; `:Teamlore trust` asks again.
local M = {}

---@class teamlore.Workspace
---@field root string
---@field cmd string[]? Command that starts the server; nil: nothing trusted to start.
---@field restricted boolean The repository's settings were not trusted (sent as `restrictedMode`).
---@field refused string[] Repository files that were not trusted, so not used.

---@type table<string, teamlore.Workspace>
local decided = {}

local function realpath(path)
  return vim.uv.fs_realpath(path) or vim.fs.normalize(path)
end

--- Whether `path` lies inside the directory `root` (both with links resolved).
---@param path string
---@param root string
---@return boolean
function M.inside(path, root)
  local p, r = realpath(path), realpath(root)
  return p == r or vim.startswith(p, r:gsub("/$", "") .. "/")
end

--- Whether the user trusts this repository file as it is now (asking if not yet decided).
---@param path string
---@return boolean
local function trusted(path)
  local ok, contents = pcall(vim.secure.read, path)
  return ok and contents ~= nil
end

--- The store's `config.toml` for this root (under `settings.storeRoot` when set).
---@param root string
---@param config table
---@return string
local function project_config(root, config)
  local store = config.settings and config.settings.storeRoot
  local base = root
  if type(store) == "string" and store ~= "" then
    base = vim.startswith(store, "/") and store or vim.fs.joinpath(root, store)
  end
  return vim.fs.joinpath(base, ".teamlore", "config.toml")
end

---@param root string
---@param config table
---@param refused string[]
---@return string[]?
local function server_cmd(root, config, refused)
  if config.cmd_from_user then
    return vim.deepcopy(config.cmd)
  end
  for _, rel in ipairs(config.project_server or {}) do
    local candidate = vim.fs.joinpath(root, rel)
    if vim.fn.executable(candidate) == 1 then
      if trusted(candidate) then
        local cmd = vim.deepcopy(config.cmd)
        cmd[1] = candidate
        return cmd
      end
      table.insert(refused, candidate)
    end
  end
  local cmd = vim.deepcopy(config.cmd)
  local found = vim.fn.exepath(cmd[1])
  if found == "" then
    return cmd -- not found: starting it fails with Neovim's own message
  end
  if M.inside(found, root) and not trusted(found) then
    table.insert(refused, found)
    return nil
  end
  cmd[1] = found -- absolute, so the PATH is not searched again from another directory
  return cmd
end

--- Decides (once per root and session) what to start for `root` and whether the
--- server runs restricted. Asks the user about repository files not yet trusted.
---@param root string
---@param config table The effective setup() configuration.
---@return teamlore.Workspace
function M.decide(root, config)
  if decided[root] then
    return decided[root]
  end
  local refused = {}
  local settings_file = project_config(root, config)
  local restricted = false
  if vim.uv.fs_stat(settings_file) and not trusted(settings_file) then
    restricted = true
    table.insert(refused, settings_file)
  end
  local workspace = { root = root, cmd = server_cmd(root, config, refused), restricted = restricted, refused = refused }
  decided[root] = workspace
  if #refused > 0 then
    vim.schedule(function()
      vim.notify(
        "teamlore: not trusted, so not used: "
          .. table.concat(refused, ", ")
          .. (workspace.cmd and "" or ". The server was not started")
          .. (restricted and ". The server runs restricted (no sync, no scanners on save)" or "")
          .. ". To trust them: :Teamlore trust",
        vim.log.levels.WARN
      )
    end)
  end
  return workspace
end

--- Server settings as sent to a restricted server: no team sync, no scanners on save.
---@param settings table
---@param restricted boolean
---@return table
function M.restrict_settings(settings, restricted)
  if not restricted then
    return settings
  end
  local out = vim.deepcopy(settings)
  out.redisUrl = nil
  out.scannersOnSave = {}
  return out
end

--- The decision already made for `root` (nil before the first buffer there).
---@param root string
---@return teamlore.Workspace?
function M.get(root)
  return decided[root]
end

--- Forgets the decision for `root`, so the next start asks again.
---@param root string
function M.forget(root)
  decided[root] = nil
end

return M
