// pacman lists the repository archcore:repo wrote and installs from it into an empty root.
def run = { List<String> cmd ->
    def p = new ProcessBuilder(cmd).directory(basedir).redirectErrorStream(true).start()
    def out = p.inputStream.text
    assert p.waitFor() == 0 : "${cmd.join(' ')}:\n${out}"
    out
}
def asRoot = { List<String> cmd -> System.getProperty('user.name') == 'root' ? cmd : ['unshare', '-r'] + cmd }
File repo = new File(basedir, 'target/repo')
assert new File(repo, 'itrepo.db').exists() && new File(repo, 'itrepo.files').exists()
assert new File(repo, 'repo-app-2.0-1-any.pkg.tar.zst').isFile()

File root = new File(basedir, 'root')
new File(root, 'var/lib/pacman').mkdirs()
File conf = new File(basedir, 'pacman.conf')
conf.text = "[options]\nArchitecture = auto\nSigLevel = Never\n[itrepo]\nSigLevel = Never\nServer = file://${repo}\n"
def pacman = ['pacman', '--root', root.path, '--dbpath', "${root}/var/lib/pacman".toString(),
              '--cachedir', "${root}/cache".toString(), '--config', conf.path, '--noconfirm']
run(asRoot(pacman + ['-Sy']))
assert run(pacman + ['-Sl', 'itrepo']).trim() == 'itrepo repo-app 2.0-1'
run(asRoot(pacman + ['-S', 'repo-virtual']))
assert new File(root, 'usr/share/repo-app/hello').text == 'from the repo\n'
return true
