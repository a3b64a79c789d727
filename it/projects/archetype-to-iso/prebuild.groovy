// the SSH key the nodes will accept: the user's ~/.ssh/id_*.pub (the build's home is home/, see invoker.properties)
File ssh = new File(basedir, 'home/.ssh')
ssh.mkdirs()
def p = new ProcessBuilder(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'it@archcore.test', '-f', 'id_ed25519'])
        .directory(ssh).redirectErrorStream(true).start()
def out = p.inputStream.text
assert p.waitFor() == 0 : "ssh-keygen: ${out}"
return true
