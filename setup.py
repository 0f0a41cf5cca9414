"""Install mmwsol: ``pip install -e .`` (or ``make demo`` / ``make test``)."""

import os
import os.path as osp
import shutil

from setuptools import Extension, find_packages, setup

# The compiled sweep of the box metric (MaxBoxAccV2 at any interval). It is
# optional: without a C compiler the pure numpy path gives the same numbers.
EXTENSIONS = [
    Extension(
        'mmwsol.evaluation.functional._level_sets',
        sources=['mmwsol/evaluation/functional/_level_sets.c'],
        # no fused multiply-add: the IoUs must equal numpy's bit for bit
        extra_compile_args=['-O3', '-ffp-contract=off']
        if os.name != 'nt'
        else ['/O2', '/fp:precise'],
        optional=True,
    )
]


def get_version() -> str:
    """Read the version from ``mmwsol/version.py``."""
    scope = {}
    with open(osp.join('mmwsol', 'version.py')) as f:
        exec(compile(f.read(), 'version.py', 'exec'), scope)
    return scope['__version__']


def parse_requirements(fname: str) -> list:
    """Read a requirements file, one requirement per non-comment line."""
    with open(fname) as f:
        return [
            line.strip()
            for line in f
            if line.strip() and not line.startswith('#')
        ]


def add_mim_extension() -> None:
    """Copy configs/tools into ``mmwsol/.mim`` for OpenMIM (``mim train``).

    Editable installs get symlinks instead, as in mmpretrain.
    """
    mode = (
        'symlink'
        if any(a in os.sys.argv for a in ('develop', 'editable_wheel'))
        else 'copy'
    )
    root = osp.join(osp.dirname(osp.abspath(__file__)), 'mmwsol', '.mim')
    os.makedirs(root, exist_ok=True)
    for name in ('configs', 'tools', 'model-index.yml'):
        src = osp.join(osp.dirname(osp.abspath(__file__)), name)
        dst = osp.join(root, name)
        if not osp.exists(src):
            continue
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, root), dst)
        elif osp.isdir(src):
            shutil.copytree(src, dst)
        else:
            shutil.copyfile(src, dst)


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='mmwsol',
        version=get_version(),
        description='Weakly supervised object localization on OpenMMLab',
        long_description=open('README.md').read()
        if osp.exists('README.md')
        else '',
        long_description_content_type='text/markdown',
        license='Apache License 2.0',
        packages=find_packages(exclude=('configs', 'tools', 'tests', 'docs')),
        include_package_data=True,
        package_data={'mmwsol': ['.mim/**/*']},
        python_requires='>=3.8',
        install_requires=parse_requirements('requirements/runtime.txt'),
        extras_require={'tests': parse_requirements('requirements/tests.txt')},
        ext_modules=EXTENSIONS,
        zip_safe=False,
    )
