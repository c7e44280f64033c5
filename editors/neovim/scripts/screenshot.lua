-- Drives a real Neovim for the README screenshots (scripts/screenshot.sh): opens the file given
-- on the command line, waits for the finding, shows it, waits for the model, then opens the
-- code-action menu. The script writes $CODEREV_SHOT_DIR/ready-N when the screen is ready for
-- shot N. Diagnostics are not configured here: the inline message is the plugin's default (on
-- 0.11+ too), as a user with the README's set-up sees it.
vim.g.loaded_python3_provider = 0
vim.o.termguicolors = true
vim.o.number = true
vim.o.signcolumn = 'yes'
vim.o.laststatus = 2
vim.o.cmdheight = 1
vim.cmd('filetype on')
vim.cmd('syntax on')
vim.opt.runtimepath:prepend(assert(os.getenv('CODEREV_NVIM_PLUGIN')))
vim.cmd('runtime! plugin/coderev.lua')
require('coderev').setup({ cmd = { assert(os.getenv('CODEREV_NVIM_SERVER')), 'serve' } })
-- The README's status line (section "Model state in the status line").
vim.o.statusline = "%f %h%m%r%=%{v:lua.require'coderev'.statusline()} %l:%c"

local dir = assert(os.getenv('CODEREV_SHOT_DIR'))
local function ready(n)
  local f = assert(io.open(dir .. '/ready-' .. n, 'w'))
  f:close()
end

local function findings()
  return vim.tbl_filter(function(d)
    return d.source == 'coderev'
  end, vim.diagnostic.get(0))
end

local function when(check, fn, left)
  left = left or 300
  if check() then
    fn()
  elseif left > 0 then
    vim.defer_fn(function()
      when(check, fn, left - 1)
    end, 50)
  end
end

--- Whether the model has loaded (or given up), or a minute has passed.
local function model_settled(deadline)
  return function()
    local state = require('coderev').model_state(0)
    return (state ~= nil and (state.mode == 'ready' or state.mode == 'fallback')) or vim.loop.now() > deadline
  end
end

--- Asks for the finding's code actions once without showing them, so that the model's answer
--- is there when the menu asks (the server waits half a second for it, then keeps it).
local function warm_up(d)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(0) },
    range = d.user_data.lsp.range,
    context = { diagnostics = { d.user_data.lsp } },
  }
  vim.lsp.buf_request(0, 'textDocument/codeAction', params, function() end)
end

vim.api.nvim_create_autocmd('VimEnter', {
  callback = function()
    when(function()
      return #findings() > 0
    end, function()
      local d = findings()[1]
      vim.api.nvim_win_set_cursor(0, { d.lnum + 1, d.col })
      vim.defer_fn(function() -- after CursorMoved, which would close the float
        vim.diagnostic.open_float({ scope = 'cursor', border = 'rounded', source = true })
        vim.cmd('redraw')
        ready(1)
      end, 300)
      -- Shot 2: the code actions the server offers for it, the model's AI fix among them (then
      -- screenshot.sh picks the rule's fix).
      vim.defer_fn(function()
        when(model_settled(vim.loop.now() + 60000), function()
          warm_up(d)
          vim.defer_fn(function()
            vim.cmd('redrawstatus')
            ready(2)
            vim.lsp.buf.code_action()
          end, 2000)
        end, 1200)
      end, 1500)
    end)
  end,
})

-- After the fix (shot 3): the finding is gone.
vim.api.nvim_create_autocmd('TextChanged', {
  callback = function()
    when(function()
      return #findings() == 0
    end, function()
      vim.cmd('redraw')
      ready(3)
    end)
  end,
})
