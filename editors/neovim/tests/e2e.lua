-- End-to-end scenarios, run by tests/editors/test_neovim.py as
--   nvim --headless --clean -u editors/neovim/tests/e2e.lua
-- Environment: CODEREV_NVIM_PLUGIN (the plugin folder), CODEREV_NVIM_SERVER (the coderev
-- executable), CODEREV_NVIM_FILE (a Python file with one yaml.load finding),
-- CODEREV_NVIM_SCENARIO (quickfix, dismiss, commands, enable, learning, model, health,
-- health_missing, and inline, respect, opt_out of tests/e2e_ui.lua, config_watch of
-- tests/e2e_watch.lua), CODEREV_NVIM_LOG (a log file), optionally CODEREV_NVIM_API.
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
--- its finding. `severity` is sent as a server setting and checked on the diagnostic. The model is
--- off (rules only) unless `model` is true.
local function open(severity, start, model)
  vim.opt.runtimepath:prepend(assert(os.getenv('CODEREV_NVIM_PLUGIN')))
  vim.cmd('runtime! plugin/coderev.lua')
  assert(vim.fn.exists(':Coderev') == 2, ':Coderev is not defined')
  assert(package.loaded['coderev'] == nil, 'plugin/coderev.lua must not load the module')
  local settings = { debounceMs = 10 }
  if not model then
    settings.model = { enabled = false } -- nested, as Lua users write it
  end
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
local helpers -- for the scenarios of tests/e2e_ui.lua, which also adds some

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
  -- Exactly the five subcommands, in whatever order this Neovim lists them; a prefix narrows them.
  local function completions(line)
    local found = vim.fn.getcompletion(line, 'cmdline')
    table.sort(found)
    return found
  end
  local completion = completions('Coderev ')
  log('completion', completion)
  assert(vim.deep_equal(completion, { 'dismiss', 'resetLearning', 'restart', 'scan', 'status' }),
    'completion of :Coderev is ' .. vim.inspect(completion))
  local narrowed = completions('Coderev re')
  assert(vim.deep_equal(narrowed, { 'resetLearning', 'restart' }),
    'completion of :Coderev re is ' .. vim.inspect(narrowed))

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

--- Dismisses the finding `d` with `:Coderev dismiss` and waits until it is gone.
local function dismiss(d)
  local before = #findings(buf)
  vim.api.nvim_win_set_cursor(0, { d.lnum + 1, d.col })
  local answered
  assert(coderev.dismiss(buf, function(err)
    answered = { err = err }
  end), 'no finding under the cursor at line ' .. (d.lnum + 1))
  wait_for('the dismissal', function()
    return answered
  end)
  assert(answered.err == nil, 'dismiss failed: ' .. vim.inspect(answered.err))
  wait_for('the dismissed finding to go', function()
    return #findings(buf) == before - 1
  end)
end

local function severities()
  return vim.tbl_map(function(x)
    return x.lnum .. ':' .. x.severity
  end, findings(buf))
end

-- Learning: a family dismissed again and again is demoted to a hint; `:Coderev resetLearning`
-- forgets that (the findings dismissed one by one stay dismissed). With the model off, the
-- status line says so.
function scenarios.learning()
  local first = open()
  local client = coderev.clients(buf)[1]
  wait_for('the model state (off)', function()
    return coderev.model_state(buf)
  end)
  local line = coderev.statusline()
  log('statusline', line)
  assert(line == 'coderev: rules only (model off)', 'statusline: ' .. line)
  -- The state comes from the coderev/status handler of the client config.
  local handler = client.config.handlers and client.config.handlers['coderev/status']
  assert(type(handler) == 'function', 'no coderev/status handler in the client config')
  handler(nil, { mode = 'fallback', modelSlot = vim.NIL, error = { code = 'PRV005', message = 'worker crashed' } }, {
    client_id = client.id,
    method = 'coderev/status',
  })
  line = coderev.statusline()
  log('statusline', line)
  assert(line == 'coderev: rules only (PRV005)', 'statusline after a fallback report: ' .. line)
  -- :Coderev status asks the server, which knows better: the model is off.
  local status = table.concat(coderev.status(), '\n')
  log('status', status)
  assert(status:match('model: rules only %(model off%)'), 'status does not show the model state')
  assert(coderev.statusline() == 'coderev: rules only (model off)', 'the request did not update the state')

  -- Four more yaml.load findings; three dismissals of the family demote the rest to hints.
  for i = 1, 4 do
    vim.api.nvim_buf_set_lines(buf, -1, -1, false, { '', '', 'def load_' .. i .. '(stream):', '    return yaml.load(stream)' })
  end
  wait_for('five findings', function()
    return #findings(buf) == 5
  end)
  local error_level = vim.diagnostic.severity.ERROR
  local hint = vim.diagnostic.severity.HINT
  dismiss(first)
  for _ = 1, 2 do
    dismiss(findings(buf)[1])
  end
  wait_for('two hints', function()
    local f = findings(buf)
    return #f == 2 and f[1].severity == hint and f[2].severity == hint
  end)
  log('after three dismissals', severities())

  vim.cmd('Coderev resetLearning')
  wait_for('the findings back as errors', function()
    local f = findings(buf)
    return #f == 2 and f[1].severity == error_level and f[2].severity == error_level
  end)
  log('after resetLearning', severities())
end

-- The model on: its state arrives by notification; the status line and :Coderev status show it.
function scenarios.model()
  open(nil, nil, true)
  local client = coderev.clients(buf)[1]
  local modes = {}
  local done = vim.wait(60000, function()
    local state = coderev.model_state(buf)
    if state ~= nil and modes[#modes] ~= state.mode then
      table.insert(modes, state.mode)
    end
    return state ~= nil and (state.mode == 'ready' or state.mode == 'fallback')
  end, 50)
  log('modes', modes)
  local state = coderev.model_state(buf)
  assert(done, 'the model state did not settle within 60 s: ' .. vim.inspect(state))
  assert(state.mode == 'ready', 'the model fell back: ' .. vim.inspect(state.error))
  assert(coderev._model[client.id] == state)
  local line = coderev.statusline()
  log('statusline', line)
  assert(line:match('^coderev: ready %S+ %S+$'), 'statusline: ' .. line)
  vim.cmd('Coderev status')
  local status = table.concat(coderev.status(), '\n')
  log('status', status)
  local slot = type(state.modelSlot) == 'string' and state.modelSlot or ''
  assert(slot ~= '' and status:find('model: ready ' .. slot, 1, true), 'status lacks the model slot')
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
  -- Without setup(): plugin/coderev.lua's LspAttach still turns coderev's inline messages on.
  local d = findings(buf)[1]
  assert(vim.diagnostic.config(nil, d.namespace).virtual_text == true, 'no virtual text for coderev')
  log('inline message', assert(helpers.inline_message(buf, d, true), 'no inline message'))
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

helpers =
  { TIMEOUT = TIMEOUT, SERVER = SERVER, open = open, log = log, findings = findings, wait_for = wait_for }
dofile(assert(os.getenv('CODEREV_NVIM_PLUGIN')) .. '/tests/e2e_ui.lua')(scenarios, helpers)
dofile(assert(os.getenv('CODEREV_NVIM_PLUGIN')) .. '/tests/e2e_watch.lua')(scenarios, helpers)

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
