-- End-to-end scenarios, run by tests/editors/test_neovim.py as
--   nvim --headless --clean -u editors/neovim/tests/e2e.lua
-- Environment: CODEREV_NVIM_PLUGIN (the plugin folder), CODEREV_NVIM_SERVER (the coderev
-- executable), CODEREV_NVIM_FILE (a Python file with one yaml.load finding),
-- CODEREV_NVIM_SCENARIO (quickfix, dismiss, commands, enable or health), CODEREV_NVIM_LOG (a log
-- file), optionally CODEREV_NVIM_API.
-- Success ends with `qall!`, failure with `cquit 1`.
vim.g.loaded_python3_provider = 0
vim.g.coderev_api = os.getenv('CODEREV_NVIM_API') -- 'start': the 0.8-0.10 path on a newer Neovim
vim.cmd('filetype on')

local log_file = assert(io.open(assert(os.getenv('CODEREV_NVIM_LOG')), 'w'))
local function log(...)
  local parts = {}
  for _, v in ipairs({ ... }) do
    table.insert(parts, type(v) == 'string' and v or vim.inspect(v))
  end
  log_file:write(table.concat(parts, ' ') .. '\n')
  log_file:flush()
end

-- Messages (vim.notify) go to the log, so the test can check them.
vim.notify = function(msg, level)
  log('notify', level or vim.log.levels.INFO, msg)
end

local TIMEOUT = 20000

local function wait_for(what, check)
  local result
  local done = vim.wait(TIMEOUT, function()
    result = check()
    return result and true or false
  end, 20)
  assert(done, 'timed out waiting for ' .. what)
  return result
end

local function findings(buf)
  return vim.tbl_filter(function(d)
    return d.source == 'coderev'
  end, vim.diagnostic.get(buf))
end

local function lsp_diagnostic(d)
  return {
    range = {
      start = { line = d.lnum, character = d.col },
      ['end'] = { line = d.end_lnum, character = d.end_col },
    },
    message = d.message,
    severity = d.severity,
    source = d.source,
    code = d.code,
    data = d.user_data.lsp.data,
  }
end

local function request_sync(buf, method, params)
  local responses = vim.lsp.buf_request_sync(buf, method, params, 10000)
  assert(responses, method .. ' timed out')
  for _, response in pairs(responses) do
    local err = response.err or response.error -- 0.10+ / 0.7
    assert(err == nil, method .. ' failed: ' .. vim.inspect(err))
    return response.result
  end
end

local coderev -- the plugin module, loaded by setup()
local buf

local SERVER = assert(os.getenv('CODEREV_NVIM_SERVER'))

--- Loads the plugin, starts the server with setup() (or `start`), opens the fixture and waits for
--- its finding. `severity` is sent as a server setting and checked on the diagnostic.
local function open(severity, start)
  vim.opt.runtimepath:prepend(assert(os.getenv('CODEREV_NVIM_PLUGIN')))
  vim.cmd('runtime! plugin/coderev.lua')
  assert(vim.fn.exists(':Coderev') == 2, ':Coderev is not defined')
  assert(package.loaded['coderev'] == nil, 'plugin/coderev.lua must not load the module')
  local settings = { debounceMs = 10 }
  if severity then
    settings.severity = { ['python.insecure-deserialization'] = severity }
  end
  if start then
    start(settings)
  else
    require('coderev').setup({ cmd = { SERVER, 'serve' }, settings = settings })
  end
  coderev = require('coderev')
  log('api', coderev.api())
  vim.cmd('edit ' .. vim.fn.fnameescape(assert(os.getenv('CODEREV_NVIM_FILE'))))
  buf = vim.api.nvim_get_current_buf()
  local d = wait_for('a diagnostic', function()
    return findings(buf)[1]
  end)
  log('diagnostic', d.lnum, d.col, d.code, d.message)
  assert(d.code == 'python.insecure-deserialization.yaml-load', 'unexpected rule ' .. tostring(d.code))
  local levels = { error = 'ERROR', warning = 'WARN', info = 'INFO', hint = 'HINT' }
  local expected = vim.diagnostic.severity[levels[severity or 'error']]
  assert(d.severity == expected, string.format('severity %s, expected %s', d.severity, expected))
  return d
end

local scenarios = {}

function scenarios.quickfix()
  local d = open()
  local client = coderev.clients(buf)[1]
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = lsp_diagnostic(d).range,
    context = { diagnostics = { lsp_diagnostic(d) }, only = { 'quickfix' } },
  }
  local actions = request_sync(buf, 'textDocument/codeAction', params)
  local titles = vim.tbl_map(function(a)
    return a.title
  end, actions)
  log('actions', titles)
  local fix
  for _, action in ipairs(actions) do
    if action.isPreferred and action.title:match('^Fix:') then
      fix = action
    end
  end
  assert(fix, 'no preferred quick fix among ' .. vim.inspect(titles))
  vim.lsp.util.apply_workspace_edit(fix.edit, client.offset_encoding)
  request_sync(buf, 'workspace/executeCommand', fix.command) -- coderev.accept
  local line = vim.api.nvim_buf_get_lines(buf, d.lnum, d.lnum + 1, false)[1]
  log('fixed line', line)
  assert(line:match('yaml%.safe_load%('), 'the fix was not applied: ' .. line)
  wait_for('the diagnostic to clear', function()
    return #findings(buf) == 0
  end)
  log('cleared')
end

function scenarios.dismiss()
  local d = open()
  vim.api.nvim_win_set_cursor(0, { d.lnum + 1, d.col })
  vim.cmd('Coderev dismiss')
  wait_for('the dismissed finding to go', function()
    return #findings(buf) == 0
  end)
  log('dismissed')
  -- A new finding elsewhere still shows: the server analyzes, and the dismissed one stays gone.
  vim.api.nvim_buf_set_lines(buf, -1, -1, false, { '', '', 'def load_other(stream):', '    return yaml.load(stream)' })
  local new = wait_for('the new finding', function()
    return findings(buf)[1]
  end)
  log('remaining', vim.tbl_map(function(x)
    return x.lnum
  end, findings(buf)))
  assert(#findings(buf) == 1 and new.lnum == d.lnum + 4, 'expected only the new finding')
  -- Nothing under the cursor: a warning, no request.
  vim.api.nvim_win_set_cursor(0, { 1, 0 })
  assert(coderev.dismiss() == false, 'dismiss with no finding under the cursor must do nothing')
end

function scenarios.commands()
  open('warning') -- setup() passes its (flat) settings to the server
  local old = coderev.clients(buf)[1]
  vim.cmd('Coderev status')
  local status = table.concat(coderev.status(), '\n')
  log('status', status)
  assert(status:match('client %d+ running'), 'status does not show a running client')
  assert(status:match('1 finding'), 'status does not count the finding')
  local completion = vim.fn.getcompletion('Coderev ', 'cmdline')
  log('completion', completion)
  assert(vim.deep_equal(completion, { 'dismiss', 'restart', 'scan', 'status' }) or #completion == 4)

  local scanned
  assert(coderev.scan(function(err, result)
    scanned = { err = err, result = result }
  end))
  wait_for('the scan', function()
    return scanned
  end)
  log('scan', scanned)
  assert(scanned.err == nil and scanned.result.files >= 1, 'scan failed')

  vim.cmd('Coderev restart')
  local new = wait_for('a new client', function()
    local c = coderev.clients(buf)[1]
    return c and c.id ~= old.id and c
  end)
  log('restarted', old.id, '->', new.id)
  wait_for('diagnostics from the new client', function()
    return findings(buf)[1]
  end)
end

-- Neovim 0.11+ without setup(): lsp/coderev.lua, vim.lsp.config() and vim.lsp.enable().
function scenarios.enable()
  open('info', function(settings)
    vim.lsp.config('coderev', { cmd = { SERVER, 'serve' }, settings = { coderev = settings } })
    vim.lsp.enable('coderev')
  end)
  assert(package.loaded['coderev.config'] ~= nil, 'lsp/coderev.lua was not used')
  assert(coderev.api() == 'enable')
  local config = vim.lsp.config.coderev
  assert(vim.deep_equal(config.filetypes, require('coderev.config').filetypes), 'filetypes')
  assert(config.root_markers ~= nil and config.cmd[1] == SERVER, 'root_markers/cmd')
  local client = coderev.clients(buf)[1]
  assert(client.config.root_dir == vim.fn.fnamemodify(os.getenv('CODEREV_NVIM_FILE'), ':h'), 'root_dir')
end

function scenarios.health()
  vim.opt.runtimepath:prepend(assert(os.getenv('CODEREV_NVIM_PLUGIN')))
  require('coderev').setup({ cmd = { assert(os.getenv('CODEREV_NVIM_SERVER')), 'serve' } })
  vim.cmd('checkhealth coderev')
  local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
  log(text)
  assert(not text:match('ERROR'), 'checkhealth reports an error')
  assert(not text:match('WARN'), 'checkhealth reports a warning')
  for _, expected in ipairs({ 'OK.*Neovim %d', 'OK.*executable: ', 'OK.*version: coderev', 'OK.*the server starts' }) do
    assert(text:match(expected), 'checkhealth lacks ' .. expected)
  end
end

function scenarios.health_missing()
  vim.opt.runtimepath:prepend(assert(os.getenv('CODEREV_NVIM_PLUGIN')))
  require('coderev').setup({ cmd = { '/nonexistent/coderev', 'serve' } })
  vim.cmd('checkhealth coderev')
  local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
  log(text)
  assert(text:match('ERROR.*/nonexistent/coderev` is not executable'), 'no error for a missing executable')
end

local scenario = assert(scenarios[os.getenv('CODEREV_NVIM_SCENARIO')], 'unknown scenario')
local ok = xpcall(scenario, function(err)
  log('FAILED', debug.traceback(tostring(err), 2))
end)
log_file:close()
if ok then
  vim.cmd('qall!')
else
  vim.cmd('cquit 1')
end
