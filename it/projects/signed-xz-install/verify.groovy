// The xz package and its signature exist, gpg verifies the signature, pacman reads the package, and
// mvn install put both into the local repository as attached artifacts.
def home = new File(basedir, 'gnupg')
def run = { List<String> cmd ->
    def p = new ProcessBuilder(cmd).directory(basedir).redirectErrorStream(true).start()
    def out = p.inputStream.text
    [code: p.waitFor(), out: out]
}
File pkg = new File(basedir, 'target/signed-app-1.0-3-any.pkg.tar.xz')
File sig = new File(basedir, 'target/signed-app-1.0-3-any.pkg.tar.xz.sig')
assert pkg.isFile() && sig.isFile()
def verify = run(['gpg', '--homedir', home.path, '--batch', '--verify', sig.path, pkg.path])
assert verify.code == 0 : verify.out
assert verify.out.contains('Good signature from "IT Packager')

def info = run(['pacman', '-Qip', pkg.path])
assert info.code == 0 : info.out
assert info.out =~ /(?m)^Packager\s+: IT Packager <it@example.invalid>$/

// pacman itself checks the signature: a pacman keyring that trusts the test key, SigLevel Required
File keyring = new File(basedir, 'pacman-gnupg')
def ok = { List<String> cmd ->
    def r = run(cmd)
    assert r.code == 0 : "${cmd.join(' ')}:\n${r.out}"
    r.out
}
ok(['pacman-key', '--gpgdir', keyring.path, '--init'])
new File(keyring, 'dirmngr.conf').text = 'keyserver hkp://127.0.0.1:1\n'
File pub = new File(basedir, 'public.asc')
pub.text = ok(['gpg', '--homedir', home.path, '--batch', '--armor', '--export'])
String fpr = ok(['gpg', '--homedir', home.path, '--batch', '--with-colons', '--list-keys']).readLines()
        .find { it.startsWith('fpr:') }.split(':')[9]
ok(['pacman-key', '--gpgdir', keyring.path, '--add', pub.path])
ok(['pacman-key', '--gpgdir', keyring.path, '--lsign-key', fpr])
// pacman -U wants root: a user namespace stands in when the tests do not run as root
def asRoot = { List<String> cmd -> System.getProperty('user.name') == 'root' ? cmd : ['unshare', '-r'] + cmd }
File root = new File(basedir, 'root')
new File(root, 'var/lib/pacman').mkdirs()
File conf = new File(basedir, 'pacman.conf')
conf.text = "[options]\nArchitecture = auto\nGPGDir = ${keyring}\nSigLevel = Required\nLocalFileSigLevel = Required\n"
ok(asRoot(['pacman', '--root', root.path, '--dbpath', "${root}/var/lib/pacman".toString(), '--cachedir', "${root}/cache".toString(),
    '--config', conf.path, '--noconfirm', '-U', pkg.path]))
assert new File(root, 'usr/share/signed-app/hello').text == 'hello\n'

// ... and rejects the package once a byte of it changes
File tampered = new File(basedir, 'tampered/signed-app-1.0-3-any.pkg.tar.xz')
tampered.parentFile.mkdirs()
byte[] bytes = pkg.bytes
bytes[bytes.length - 100] ^= 1
tampered.bytes = bytes
new File(tampered.path + '.sig').bytes = sig.bytes
def rejected = run(asRoot(['pacman', '--root', root.path, '--dbpath', "${root}/var/lib/pacman".toString(), '--cachedir',
    "${root}/cache".toString(), '--config', conf.path, '--noconfirm', '-U', tampered.path]))
assert rejected.code != 0 && rejected.out.contains('signature') : rejected.out

File repoDir = new File(localRepositoryPath, 'dev/archcore/it/signed/1.0')
assert new File(repoDir, 'signed-1.0.pkg.tar.xz').bytes == pkg.bytes
assert new File(repoDir, 'signed-1.0.pkg.tar.xz.sig').bytes == sig.bytes

// the passphrase never reaches the log
assert !new File(basedir, 'build.log').text.contains('it-secret')
return true
