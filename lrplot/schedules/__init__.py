"""The schedules of every framework, one module per family (PyTorch: pytorch.py imports its
families) or per framework (hf.py, timm.py, ...); lrplot.frameworks says which module registers
which framework, and importing this package registers nothing.
"""
