--- `:checkhealth coderev`: Neovim version, the `coderev` executable and its version, and whether
--- the server starts (it is spawned and must answer `initialize` within a few seconds).
local M = {}

local TIMEOUT_MS = 10000

-- vim.health.* from 0.10 on (0.8/0.9 have them too); health#report_* (require('health')) before.
local health = vim.health or require('health')
local start = health.start or health.report_start
local ok = health.ok or health.report_ok
local warn = health.warn or health.report_warn
local fail = health.error or health.report_error
local info = health.info or health.report_info

local function check_neovim()
  local v = vim.version()
  local version = string.format('%d.%d.%d', v.major, v.minor, v.patch)
  if v.prerelease then
    version = version .. '-' .. (type(v.prerelease) == 'string' and v.prerelease or 'dev')
  end
  local api = require('coderev').api()
  if vim.fn.has('nvim-0.7') == 1 then
    ok(string.format('Neovim %s (client started with %s)', version, ({
      enable = 'vim.lsp.enable, lsp/coderev.lua',
      start = 'vim.lsp.start from a FileType autocmd',
      start_client = 'vim.lsp.start_client + vim.lsp.buf_attach_client',
    })[api]))
  else
    fail('Neovim ' .. version .. ' is too old: coderev needs 0.7 or newer')
  end
end

--- The executable named by `cmd`, its path and its `--version`; returns whether it runs.
local function check_executable(cmd)
  local exe = cmd[1]
  if exe == nil or vim.fn.executable(exe) ~= 1 then
    fail(string.format('`%s` is not executable', tostring(exe)), {
      'Install coderev (`pip install coderev-lsp`, or `make demo` in its repository),',
      "or point `cmd` at it, e.g. cmd = { '/path/to/.venv/bin/coderev', 'serve' }",
    })
    return false
  end
  ok(string.format('executable: %s', vim.fn.exepath(exe)))
  if vim.fn.fnamemodify(exe, ':t'):match('^coderev') == nil then
    info('`cmd` is not the coderev script; version not checked: ' .. table.concat(cmd, ' '))
    return true
  end
  local out = vim.fn.system({ exe, '--version' })
  if vim.v.shell_error ~= 0 then
    fail(string.format('`%s --version` failed (exit %d): %s', exe, vim.v.shell_error, vim.trim(out)))
    return false
  end
  ok('version: ' .. vim.trim(out))
  return true
end

local function message(tbl)
  local body = vim.fn.json_encode(tbl)
  return string.format('Content-Length: %d\r\n\r\n%s', #body, body)
end

--- The first complete JSON-RPC message in `buffer` with id `id`, or nil.
local function find_reply(buffer, id)
  local pos = 1
  while true do
    local header_end = buffer:find('\r\n\r\n', pos, true)
    if header_end == nil then
      return nil
    end
    local length = tonumber(buffer:sub(pos, header_end):match('Content%-Length: *(%d+)'))
    if length == nil or #buffer < header_end + 3 + length then
      return nil
    end
    local body = buffer:sub(header_end + 4, header_end + 3 + length)
    local decoded_ok, decoded = pcall(vim.fn.json_decode, body)
    if decoded_ok and type(decoded) == 'table' and decoded.id == id then
      return decoded
    end
    pos = header_end + 4 + length
  end
end

--- Spawns `cmd`, sends `initialize` and waits for the answer.
local function check_server(cmd)
  local output, stderr = '', {}
  local started = vim.loop.hrtime()
  local job = vim.fn.jobstart(cmd, {
    on_stdout = function(_, data)
      output = output .. table.concat(data, '\n')
    end,
    on_stderr = function(_, data)
      vim.list_extend(stderr, data)
    end,
  })
  if job <= 0 then
    fail('cannot start the server: ' .. table.concat(cmd, ' '))
    return
  end
  vim.fn.chansend(job, message({
    jsonrpc = '2.0',
    id = 1,
    method = 'initialize',
    params = {
      processId = vim.fn.getpid(),
      rootUri = vim.NIL,
      capabilities = vim.empty_dict(),
      clientInfo = { name = 'coderev-checkhealth' },
    },
  }))
  local reply
  vim.wait(TIMEOUT_MS, function()
    reply = find_reply(output, 1)
    return reply ~= nil
  end, 20)
  local elapsed = (vim.loop.hrtime() - started) / 1e6
  if reply ~= nil then
    vim.fn.chansend(job, message({ jsonrpc = '2.0', id = 2, method = 'shutdown' }))
    vim.fn.chansend(job, message({ jsonrpc = '2.0', method = 'exit' }))
  end
  vim.fn.jobwait({ job }, 2000)
  vim.fn.jobstop(job)
  if reply == nil then
    fail(
      string.format('the server did not answer `initialize` within %d ms', TIMEOUT_MS),
      { 'stderr: ' .. vim.trim(table.concat(stderr, '\n')) }
    )
  elseif reply.error ~= nil then
    fail('the server answered `initialize` with an error: ' .. vim.inspect(reply.error))
  else
    local server = type(reply.result) == 'table' and reply.result.serverInfo or {}
    ok(
      string.format(
        'the server starts: `initialize` answered in %d ms (%s %s)',
        elapsed,
        server.name or 'coderev',
        server.version or ''
      )
    )
  end
end

function M.check()
  start('coderev')
  check_neovim()
  local config = require('coderev').config()
  local cmd = config.cmd
  if type(cmd) ~= 'table' then
    warn('`cmd` is not a list of strings; cannot check it: ' .. vim.inspect(cmd))
    return
  end
  if check_executable(cmd) then
    check_server(cmd)
  end
  local clients = require('coderev').clients()
  info(string.format('%d coderev client(s) running', #clients))
end

return M
