--- Default client configuration of the coderev language server, shared by `lsp/coderev.lua`
--- (Neovim 0.11+ `vim.lsp.config`) and `require('coderev').setup()` (Neovim 0.7 to 0.10).
local M = {}

--- The languages the server analyzes (server/lsp: Python, JavaScript/TypeScript, Go, Java).
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
  }
end

return M
