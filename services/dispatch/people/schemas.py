"""HTTP bodies of people and sign-in."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.dispatch.schemas import PatchBody

PersonRole = Literal["agent", "supervisor", "admin", "viewer"]
LOGIN_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,63}$"


class SignInBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"login": "zhang.wei", "password": "a long passphrase"}]},
    )

    login: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class RefreshBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"refresh_token": "q9v1l2Jb3...base64url"}]},
    )

    refresh_token: str = Field(min_length=1, max_length=200)


class PasswordChangeBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "login": "zhang.wei",
                    "current_password": "the temporary one",
                    "new_password": "a passphrase of my own",
                }
            ]
        },
    )

    login: str = Field(min_length=1, max_length=64)
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class PersonView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    login: str = Field(examples=["zhang.wei"])
    display_name: str = Field(examples=["张伟"])
    roles: list[str] = Field(examples=[["agent"]])
    teams: list[str] = Field(examples=[["tech_support"]])
    supervises: list[str] = Field(examples=[[]])
    must_change_password: bool
    disabled: bool = False
    created_at: datetime


class TokensView(BaseModel):
    access_token: str = Field(description="EdDSA JWT; send as `Authorization: Bearer <it>`")
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds the access token lives", examples=[60])
    refresh_token: str = Field(description="single-use; POST /v1/auth/refresh for new tokens")
    person: PersonView


class PersonCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "login": "zhang.wei",
                    "display_name": "张伟",
                    "roles": ["agent"],
                    "teams": ["tech_support"],
                    "temporary_password": "first-sign-in-2026",
                },
                {
                    "login": "li.na",
                    "display_name": "李娜",
                    "roles": ["supervisor"],
                    "supervises": ["finance"],
                },
            ]
        },
    )

    login: str = Field(pattern=LOGIN_PATTERN)
    display_name: str = Field(min_length=1, max_length=100)
    roles: list[PersonRole] = Field(min_length=1)
    teams: list[str] = Field(default_factory=list)
    supervises: list[str] = Field(default_factory=list)
    # Empty: one is made and returned once; the person replaces it at first sign-in.
    temporary_password: str | None = Field(default=None, min_length=10, max_length=256)
    agent_capacity: int = Field(default=5, ge=1, le=50)


class PersonCreated(BaseModel):
    person: PersonView
    temporary_password: str = Field(description="shown once; the person must replace it")


class PersonUpdate(PatchBody):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"display_name": "张伟", "supervises": ["finance"]}]},
    )

    display_name: str | None = Field(default=None, min_length=1, max_length=100)
    roles: list[PersonRole] | None = Field(default=None, min_length=1)
    teams: list[str] | None = None
    supervises: list[str] | None = None


class PasswordResetBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"temporary_password": None}]}
    )

    temporary_password: str | None = Field(default=None, min_length=10, max_length=256)


class AccountChangeView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: str = Field(examples=["disabled"])
    actor: str = Field(examples=["person:6f1c1a4e-8a43-4e59-9d1e-6b9c1f0b2d11"])
    actor_name: str = Field(examples=["系统管理员"])
    detail: str | None
    at: datetime


class DelegationBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"key_name": "crm"}]})

    key_name: str = Field(min_length=1, max_length=100)


class DelegationView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key_name: str = Field(examples=["crm"])
    person_id: uuid.UUID
    granted_by: str = Field(examples=["系统管理员"])
    granted_at: datetime
    revoked_at: datetime | None
