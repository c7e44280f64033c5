-- Scenarios of tests/e2e.lua about what a user sees in the buffer: inline messages (virtual text)
-- and `K` for hover. Loaded by e2e.lua, which passes its helpers.
return function(scenarios, h)
  local modern = vim.fn.has('nvim-0.11') == 1 -- virtual text is off by default from 0.11 on

  --- The text of every virtual-text extmark in `buf`, whatever namespace holds it (named ones,
  --- and the anonymous ones vim.diagnostic draws virtual text in on older versions).
  local function virtual_texts(buf)
    local namespaces = vim.tbl_values(vim.api.nvim_get_namespaces())
    for _, diagnostic_ns in pairs(vim.diagnostic.get_namespaces()) do
      table.insert(namespaces, diagnostic_ns.user_data and diagnostic_ns.user_data.virt_text_ns)
    end
    local texts = {}
    for _, ns in pairs(namespaces) do
      for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(buf, ns, 0, -1, { details = true })) do
        local chunks = mark[4] and mark[4].virt_text
        if chunks then
          local text = ''
          for _, chunk in ipairs(chunks) do
            text = text .. chunk[1]
          end
          table.insert(texts, text)
        end
      end
    end
    return texts
  end

  --- The inline message of finding `d`, waited for; nil when none shows within a second.
  local function inline_message(buf, d, patient)
    local needle = d.message:sub(1, 30)
    local found
    vim.wait(patient and h.TIMEOUT or 1000, function()
      for _, text in ipairs(virtual_texts(buf)) do
        if text:find(needle, 1, true) then
          found = text
          return true
        end
      end
      return false
    end, 20)
    return found
  end

  --- The text of a floating window (hover), waited for; nil when none opens within `ms`.
  local function float_text(ms)
    local text
    vim.wait(ms, function()
      for _, win in ipairs(vim.api.nvim_list_wins()) do
        if vim.api.nvim_win_get_config(win).relative ~= '' then
          text = table.concat(vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false), '\n')
          return true
        end
      end
      return false
    end, 20)
    return text
  end

  local function press_k(d)
    vim.api.nvim_win_set_cursor(0, { d.lnum + 1, d.col + 1 })
    vim.cmd('normal K') -- with mappings, as a user's keystroke
  end

  local function setup_with(extra)
    return function(settings)
      require('coderev').setup(vim.tbl_extend('force', { cmd = { h.SERVER, 'serve' }, settings = settings }, extra))
    end
  end

  -- The documented set-up: inline messages on every version, and K shows the hover.
  function scenarios.inline()
    local d = h.open()
    local buf = vim.api.nvim_get_current_buf()
    local global = vim.diagnostic.config()
    h.log('global virtual_text', global.virtual_text, 'namespace', vim.diagnostic.config(nil, d.namespace))
    if modern then
      assert(not global.virtual_text, 'the test must not turn virtual text on itself')
      assert(vim.diagnostic.config(nil, d.namespace).virtual_text == true, "coderev's namespace has no virtual text")
    end
    local text = inline_message(buf, d, true)
    assert(text, 'no inline message for ' .. d.message .. ' among ' .. vim.inspect(virtual_texts(buf)))
    h.log('inline message', text)
    local mapping = vim.fn.maparg('K', 'n', false, true)
    h.log('K mapping', mapping.desc or mapping.rhs or '(Neovim default)')
    if vim.fn.has('nvim-0.10') == 0 then
      assert(mapping.buffer == 1, 'no buffer-local K on Neovim < 0.10: ' .. vim.inspect(mapping))
    end
    press_k(d)
    local hover = float_text(h.TIMEOUT)
    h.log('hover', hover)
    assert(hover and hover:find(d.code, 1, true), 'K did not show the hover of ' .. d.code)
  end

  -- The user's own settings win: a global virtual_text table (its prefix stays) and a K mapping.
  function scenarios.respect()
    vim.diagnostic.config({ virtual_text = { prefix = '>>' } })
    local pressed = false
    vim.keymap.set('n', 'K', function()
      pressed = true
    end)
    local d = h.open()
    local buf = vim.api.nvim_get_current_buf()
    assert(vim.diagnostic.config(nil, d.namespace).virtual_text == nil, 'the namespace config was changed')
    local text = inline_message(buf, d, true)
    h.log('inline message', text)
    assert(text and text:find('>>', 1, true), "the user's prefix is lost: " .. tostring(text))
    press_k(d)
    assert(pressed, "the user's K mapping did not run")
    assert(float_text(500) == nil, "a hover opened instead of the user's mapping")
    h.log('user K kept')
  end

  -- Both off: no inline message on 0.11+ (Neovim's default), no K mapping.
  function scenarios.opt_out()
    local d = h.open(nil, setup_with({ virtual_text = false, hover_key = false }))
    local buf = vim.api.nvim_get_current_buf()
    assert(vim.diagnostic.config(nil, d.namespace).virtual_text == nil, 'the namespace config was changed')
    if modern then
      assert(inline_message(buf, d) == nil, 'an inline message shows although virtual_text = false')
    end
    if vim.fn.has('nvim-0.10') == 0 then
      assert(vim.fn.maparg('K', 'n') == '', 'K was mapped although hover_key = false')
    end
    h.log('opted out')
  end

  h.inline_message = inline_message
end
