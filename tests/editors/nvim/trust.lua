-- A repository that supplies its own server (.venv/bin/teamlore) and settings
-- (.teamlore/config.toml): without trust neither is used and the server runs restricted;
-- after vim.secure.trust and :Teamlore trust both are.
--
-- vim.fn.confirm (the prompt of vim.secure.read) is wrapped to record what was asked and
-- answer "ignore", as a user who dismisses the prompt would.
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/harness.lua")

local prompts = {}
vim.fn.confirm = function(message)
  table.insert(prompts, message)
  return 1 -- &ignore
end

-- Records what each started server was: its command and its initializationOptions.
local started = {}
local rpc_start = vim.lsp.rpc.start
vim.lsp.rpc.start = function(cmd, dispatchers, opts)
  local rpc = rpc_start(cmd, dispatchers, opts)
  local request = rpc.request
  rpc.request = function(method, params, ...)
    if method == "initialize" then
      table.insert(started, { cmd = cmd, options = params.initializationOptions })
    end
    return request(method, params, ...)
  end
  return rpc
end

local function configuration(client, buf)
  local answer = vim.lsp.handlers["workspace/configuration"]
  local handler = client.handlers and client.handlers["workspace/configuration"] or answer
  return handler(nil, { items = { { section = "teamlore" } } }, { client_id = client.id, bufnr = buf, method = "workspace/configuration" })[1]
end

H.run(function()
  local ws = vim.fs.dirname(H.env.file)
  require("teamlore").setup({ debounce_ms = 50, settings = { redisUrl = "redis://127.0.0.1:1/0", scannersOnSave = { "bandit" } } })

  local buf, client = H.open_and_attach()
  H.result.before = {
    started = vim.deepcopy(started),
    prompts = vim.deepcopy(prompts),
    restricted = require("teamlore.trust").get(ws).restricted,
    refused = require("teamlore.trust").get(ws).refused,
    configuration = configuration(client, buf),
  }
  H.step("untrusted")

  -- The user trusts both files (as :trust in their buffers does).
  for _, rel in ipairs({ ".venv/bin/teamlore", ".teamlore/config.toml" }) do
    local b = vim.fn.bufadd(vim.fs.joinpath(ws, rel))
    vim.fn.bufload(b)
    local ok, msg = vim.secure.trust({ action = "allow", bufnr = b })
    assert(ok, msg)
  end
  prompts = {}
  vim.api.nvim_set_current_buf(buf)
  vim.cmd("Teamlore trust")
  client = H.wait(20000, "the restarted client", function()
    local c = vim.lsp.get_clients({ name = "teamlore", bufnr = buf })[1]
    return c and c.initialized and c.id ~= client.id and c
  end)
  H.result.after = {
    started = vim.deepcopy(started),
    prompts = vim.deepcopy(prompts),
    restricted = require("teamlore.trust").get(ws).restricted,
    refused = require("teamlore.trust").get(ws).refused,
    configuration = configuration(client, buf),
  }
  H.step("trusted")
end)
