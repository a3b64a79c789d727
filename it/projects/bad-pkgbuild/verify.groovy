def log = new File(basedir, 'build.log').text
assert log.contains("PKGBUILD: pkgver '1.0-beta' is missing or invalid: it must be non-empty ASCII without colons, slashes, hyphens or whitespace")
assert !new File(basedir, 'target').listFiles()?.any { it.name.contains('.pkg.tar') }
return true
