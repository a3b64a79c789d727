// A passphrase-protected test key, exported the way a user hands it to archcore (gpg --export-secret-keys).
def home = new File(basedir, 'gnupg')
home.mkdirs()
"chmod 700 ${home}".execute().waitFor()
def gpg = { List<String> args ->
    def pb = new ProcessBuilder(['gpg', '--homedir', home.path, '--batch', '--pinentry-mode', 'loopback',
                                 '--passphrase', 'it-secret'] + args).redirectErrorStream(true)
    def p = pb.start()
    def out = p.inputStream.bytes
    assert p.waitFor() == 0 : "gpg ${args} failed:\n${new String(out)}"
    out
}
gpg(['--quick-gen-key', 'IT Packager <it@example.invalid>', 'ed25519', 'sign', 'never'])
new File(basedir, 'secret-key.gpg').bytes = gpg(['--export-secret-keys'])
return true
