// The DigitalOcean API simulator (the plugin's test code, on the hooks' class path) on 127.0.0.1, for the
// three builds; verify.groovy reads what it received and stops it.
def sim = dev.archcore.testing.DigitalOceanSimulator.start('dop_v1_it0123456789abcdef')
System.getProperties().put('archcore.it.digitalocean.' + basedir.canonicalPath, sim)
new File(basedir, '.mvn').mkdirs()
new File(basedir, '.mvn/maven.config').text = "-Darchcore.provision.apiUrl=${sim.url()}\n"
return true
