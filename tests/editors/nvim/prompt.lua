-- "Save how you fixed …?" prompts at start-up, each cancelled (as Esc at the prompt would).
-- Waits for $TEAMLORE_TEST_EXPECT prompts; the server offers proposals one at a time in
-- their order, so every older proposal was decided on before the last prompt arrived.
local H = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/harness.lua")

local EXPECT = tonumber(os.getenv("TEAMLORE_TEST_EXPECT"))

local prompts = {}
vim.lsp.handlers["window/showMessageRequest"] = function(_, params)
  table.insert(prompts, params.message)
  return vim.NIL
end

H.run(function()
  H.setup()
  H.open_and_attach()
  H.wait(15000, EXPECT .. " prompt(s)", function()
    return #prompts >= EXPECT
  end)
  H.result.prompts = prompts
end)
