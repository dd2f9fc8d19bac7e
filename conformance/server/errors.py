"""Error answers in Dify's shape: ``{"code": ..., "message": ..., "status": N}``."""

from __future__ import annotations

from starlette.responses import JSONResponse

__all__ = ["ApiError", "invalid_param", "not_found", "server_error", "error_response"]


class ApiError(Exception):
    """Raised anywhere while handling a request; the app turns it into the error response."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers

    def response(self) -> JSONResponse:
        return error_response(self.status, self.code, self.message, self.headers)


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "status": status}, status_code=status, headers=headers)


def invalid_param(message: str) -> ApiError:
    return ApiError(400, "invalid_param", message)


def not_found(message: str = "Conversation Not Exists.") -> ApiError:
    return ApiError(404, "not_found", message)


def server_error() -> ApiError:
    """The answer of a fault that asks for a 5xx (the server itself never fails on input)."""
    return ApiError(500, "internal_server_error", "The server encountered an internal error.")
