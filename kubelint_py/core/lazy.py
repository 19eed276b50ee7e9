"""`cached_attribute`: functools.cached_property without its per-instance lock.

Python 3.11's cached_property takes an RLock on every first access; the models compute about ten such
attributes for each of tens of thousands of objects, single-threaded, where that lock was a tenth of
the rule phase's attribute cost. The value lands in the instance's __dict__, so later reads never reach
the descriptor (as with cached_property).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")


class cached_attribute(Generic[T]):
    def __init__(self, func: Callable[[Any], T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> cached_attribute[T]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> T | cached_attribute[T]:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.func(instance)
        return value
