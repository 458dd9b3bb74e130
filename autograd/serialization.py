"""Placeholder replaced by the serialization work (save/load without pickle)."""


def save(obj, f):
    raise NotImplementedError("autograd.save is being written")


def load(f):
    raise NotImplementedError("autograd.load is being written")
