"""Shapes of the place search and the area outlines (public: official names and shapes only)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from engine.queries.places import Outline, Place


class PlaceRead(BaseModel):
    code: str = Field(description="the area's official code")
    name: str = Field(examples=["Kelurahan Gambir"])
    level: str = Field(description="kelurahan, kecamatan or kota")
    label: str = Field(examples=["Kelurahan Gambir, Kecamatan Gambir, Jakarta Pusat"])
    lat: float = Field(description="a point inside the area, where a map puts its pin")
    lon: float

    @classmethod
    def of(cls, p: Place) -> PlaceRead:
        return cls(
            code=p.code, name=p.name, level=p.level.value, label=p.label, lat=p.lat, lon=p.lon
        )


class OutlineProperties(BaseModel):
    code: str
    name: str
    level: str
    label_lat: float = Field(description="where to write the name (inside the area)")
    label_lon: float


class OutlineFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: dict[str, Any] = Field(description="GeoJSON Polygon or MultiPolygon, simplified")
    properties: OutlineProperties

    @classmethod
    def of(cls, o: Outline) -> OutlineFeature:
        return cls(
            id=o.code,
            geometry=o.geometry,
            properties=OutlineProperties(
                code=o.code,
                name=o.name,
                level=o.level.value,
                label_lat=o.label_at[0],
                label_lon=o.label_at[1],
            ),
        )


class OutlineCollection(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    level: str = Field(description="the level drawn at this zoom")
    features: list[OutlineFeature]
