--- Default client configuration of the coderev language server, shared by `lsp/coderev.lua`
--- (Neovim 0.11+ `vim.lsp.config`) and `require('coderev').setup()` (Neovim 0.7 to 0.10).
local M = {}

--- The languages the server analyzes (coderev/server/lsp: Python, JavaScript/TypeScript, Go, Java).
M.filetypes = { 'python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact', 'go', 'java' }

--- Files that mark a workspace root; `.coderev.toml` and `pyproject.toml` also hold its settings.
M.root_markers = {
  '.coderev.toml',
  'pyproject.toml',
  'setup.cfg',
  'setup.py',
  'package.json',
  'go.mod',
  'pom.xml',
  'build.gradle',
  '.git',
}

--- Sends the `coderev` settings as `initializationOptions` too (unless some are given), so the
--- first analysis already uses them; the server reads `workspace/configuration` after start.
---@param params table the `initialize` params
---@param config table the client config
function M.before_init(params, config)
  local settings = config.settings and config.settings.coderev
  if params.initializationOptions == nil and type(settings) == 'table' and next(settings) ~= nil then
    params.initializationOptions = { coderev = settings }
  end
end

--- The method of the server's model-state report: a notification on every change of the model
--- engine's state, and a request of the same name answered with the same payload.
M.STATUS_METHOD = 'coderev/status'

--- Handler of the `coderev/status` notification: remembers the last state per client, for
--- `require('coderev').statusline()` and `:Coderev status`.
---@param err table|nil
---@param result table|nil the payload (mode, modelSlot, error, ...)
---@param ctx table the handler context (`client_id`)
function M.on_status(err, result, ctx)
  if err == nil and type(result) == 'table' and ctx ~= nil and ctx.client_id ~= nil then
    require('coderev').set_model_state(ctx.client_id, result)
  end
end

--- A fresh copy of the defaults.
---@return table config a `vim.lsp.Config` (0.11+) or a `vim.lsp.start()` config
function M.defaults()
  return {
    name = 'coderev',
    cmd = { 'coderev', 'serve' },
    filetypes = vim.deepcopy(M.filetypes),
    root_markers = vim.deepcopy(M.root_markers),
    -- Read by the server through `workspace/configuration` (section `coderev`); an empty
    -- object, never an empty list, so the server gets `{}`.
    settings = { coderev = vim.empty_dict() },
    before_init = M.before_init,
    handlers = { [M.STATUS_METHOD] = M.on_status },
  }
end

return M
