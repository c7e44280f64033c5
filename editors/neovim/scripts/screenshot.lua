-- Drives a real Neovim for the README screenshots (scripts/screenshot.sh): opens the file given
-- on the command line, waits for the finding, shows it, then opens the code-action menu. The
-- script writes $CODEREV_SHOT_DIR/ready-N when the screen is ready for shot N.
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
vim.diagnostic.config({ virtual_text = true, signs = true, underline = true, severity_sort = true })
require('coderev').setup({ cmd = { assert(os.getenv('CODEREV_NVIM_SERVER')), 'serve' } })

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
      -- Shot 2: the code actions the server offers for it (screenshot.sh then picks the fix).
      vim.defer_fn(function()
        ready(2)
        vim.lsp.buf.code_action()
      end, 2800)
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
