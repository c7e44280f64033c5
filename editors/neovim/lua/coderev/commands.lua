--- The server's commands behind `:Coderev dismiss`, `scan` and `resetLearning`. `require('coderev')`
--- re-exports these functions.
local M = {}

local NAME = 'coderev'

local function coderev()
  return require('coderev')
end

local util = require('coderev.util')
local has, notify, call = util.has, util.notify, util.call

local value = require('coderev.model').value

--- The coderev diagnostics of `bufnr` on line `lnum` (0-based), the ones under `col` first.
local function findings_at(bufnr, lnum, col)
  local found, around = {}, {}
  for _, d in ipairs(vim.diagnostic.get(bufnr, { lnum = lnum })) do
    local lsp = d.user_data and d.user_data.lsp
    local data = lsp and lsp.data
    if d.source == NAME and type(data) == 'table' and data.fingerprint then
      local end_col = d.end_lnum == lnum and d.end_col or math.huge
      local target = (d.col <= col and col < math.max(end_col, d.col + 1)) and found or around
      table.insert(target, d)
    end
  end
  vim.list_extend(found, around)
  return found
end

--- Pulls the diagnostics of every buffer of `client` again (pull clients, 0.10+). The server asks
--- for this with `workspace/diagnostic/refresh`, which some Neovim versions do not handle.
local function refresh(client)
  local caps = client.server_capabilities or {}
  if caps.diagnosticProvider == nil or not has('0.10') then
    return -- pushed diagnostics: the server publishes the new ones itself
  end
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.lsp.buf_is_attached(b, client.id) then
      -- No handler: the default textDocument/diagnostic handler shows the result.
      call(client, 'request', 'textDocument/diagnostic', { textDocument = { uri = vim.uri_from_bufnr(b) } }, nil, b)
    end
  end
end

--- Dismisses the finding under the cursor for good (`coderev.dismiss`, keyed by fingerprint).
---@param bufnr integer|nil
---@param on_done fun(err: table|nil)|nil called with the server's answer
---@return boolean sent whether a finding was found and the command sent
function M.dismiss(bufnr, on_done)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local cursor = vim.api.nvim_win_get_cursor(0)
  local diagnostic = findings_at(bufnr, cursor[1] - 1, cursor[2])[1]
  if diagnostic == nil then
    notify('no finding under the cursor', vim.log.levels.WARN)
    return false
  end
  local client = coderev().clients(bufnr)[1]
  if client == nil then
    notify('the server is not running for this buffer', vim.log.levels.WARN)
    return false
  end
  local data = diagnostic.user_data.lsp.data
  local payload = {
    uri = vim.uri_from_bufnr(bufnr),
    fingerprint = data.fingerprint,
    ruleId = data.ruleId or diagnostic.code,
    language = data.language,
    line = diagnostic.lnum,
    fix = data.fix,
  }
  local params = { command = 'coderev.dismiss', arguments = { payload } }
  call(client, 'request', 'workspace/executeCommand', params, function(err)
    if err then
      notify('dismiss failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    else
      notify('dismissed ' .. tostring(payload.ruleId))
      refresh(client)
    end
    if on_done then
      on_done(err)
    end
  end, bufnr)
  return true
end

--- The client for a workspace-wide command: the current buffer's, else any coderev client; warns
--- and returns nil when none is running.
---@return table|nil
local function workspace_client()
  local client = coderev().clients(vim.api.nvim_get_current_buf())[1] or coderev().clients()[1]
  if client == nil then
    notify('the server is not running', vim.log.levels.WARN)
  end
  return client
end

--- Runs a workspace command of the server: `failure` names it in the error message, `success`
--- reports its result; `on_done` gets the server's answer either way.
---@return boolean sent
local function workspace_command(command, failure, success, on_done)
  local client = workspace_client()
  if client == nil then
    return false
  end
  local params = { command = command, arguments = {} }
  call(client, 'request', 'workspace/executeCommand', params, function(err, result)
    if err then
      notify(failure .. ' failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    else
      success(client, result)
    end
    if on_done then
      on_done(err, result)
    end
  end)
  return true
end

--- Scans the workspace (`coderev.scanWorkspace`); the server reports each file's findings.
---@param on_done fun(err: table|nil, result: table|nil)|nil
---@return boolean sent
function M.scan(on_done)
  if workspace_client() == nil then
    return false
  end
  notify('scanning the workspace...')
  return workspace_command('coderev.scanWorkspace', 'scan', function(_, result)
    if type(result) == 'table' then
      notify(
        string.format(
          'scanned %d files: %d findings, %d skipped',
          result.files or 0,
          result.findings or 0,
          result.skipped or 0
        )
      )
    end
  end, on_done)
end

--- Forgets the learned preferences (`coderev.resetLearning`): finding kinds demoted because they
--- were often dismissed show again; findings dismissed one by one stay dismissed.
---@param on_done fun(err: table|nil, result: table|nil)|nil
---@return boolean sent
function M.reset_learning(on_done)
  return workspace_command('coderev.resetLearning', 'resetting the learned preferences', function(client, result)
    local roots = type(result) == 'table' and value(result.roots) or nil
    notify(
      'learned preferences reset' .. (type(roots) == 'number' and string.format(' in %d workspace root(s)', roots) or '')
    )
    refresh(client)
  end, on_done)
end

return M
