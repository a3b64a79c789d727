// the SSH key the nodes will accept (a user's default is ~/.ssh/id_*.pub)
File ssh = new File(basedir, 'ssh')
ssh.mkdirs()
def p = new ProcessBuilder(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'it@archcore.test', '-f', 'id_ed25519'])
        .directory(ssh).redirectErrorStream(true).start()
def out = p.inputStream.text
assert p.waitFor() == 0 : "ssh-keygen: ${out}"
return true
