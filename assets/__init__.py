"""Scene files of the eqenvs environments, shipped as the package ``eqenvs.assets``.

A regular package (not a namespace one) so that ``importlib.resources.files("eqenvs.assets")`` resolves in
editable installs too; read files with ``importlib.resources``, never relative to the working directory.
"""
