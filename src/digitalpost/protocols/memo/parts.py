"""MeMo's parts from other vocabularies: grd (core data), gln, sor, dmv (vehicles), kle, form and udd.

Each sits in its own XML namespace; the dataclasses declare their children in XSD order like model.py.
Not for: behaviour, or anything in the MeMo namespace itself (model.py).
"""

# Each field is declared with el(...), a thin wrapper around dataclasses.field carrying the XSD facts.
# ruff: noqa: RUF009

from __future__ import annotations

from dataclasses import dataclass

from digitalpost.protocols.memo.spec import (
    DMV,
    FORM,
    GLN,
    GLN_NUMBER,
    GRD,
    KLE,
    LICENSE_NUMBER,
    P_NUMBER,
    SOR,
    TEXT,
    UDD,
    el,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductionUnit:
    production_unit_number: int = el("productionUnitNumber", P_NUMBER, ns=GRD)
    production_unit_name: str | None = el("productionUnitName", TEXT, ns=GRD, min_occurs=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class GlobalLocationNumber:
    global_location_number: int = el("globalLocationNumber", GLN_NUMBER, ns=GLN)
    location: str | None = el("location", TEXT, ns=GLN, min_occurs=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class SENumber:
    se_number: str = el("seNumber", TEXT, ns=GRD)
    company_name: str | None = el("companyName", TEXT, ns=GRD, min_occurs=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class EID:
    eid: str = el("eID", TEXT, ns=GRD)
    label: str | None = el("label", TEXT, ns=GRD, min_occurs=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class SORData:
    sor_identifier: str = el("sorIdentifier", TEXT, ns=SOR)
    entry_name: str | None = el("entryName", TEXT, ns=SOR, min_occurs=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class AddressPoint:
    geographic_easting_measure: str | None = el("geographicEastingMeasure", TEXT, ns=GRD, min_occurs=0)
    geographic_northing_measure: str | None = el("geographicNorthingMeasure", TEXT, ns=GRD, min_occurs=0)
    geographic_height_measure: str | None = el("geographicHeightMeasure", TEXT, ns=GRD, min_occurs=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Address:
    id: str | None = el("id", TEXT, ns=GRD, min_occurs=0)
    address_label: str | None = el("addressLabel", TEXT, ns=GRD, min_occurs=0)
    house_number: str | None = el("houseNumber", TEXT, ns=GRD, min_occurs=0)
    door: str | None = el("door", TEXT, ns=GRD, min_occurs=0)
    floor: str | None = el("floor", TEXT, ns=GRD, min_occurs=0)
    co: str | None = el("co", TEXT, ns=GRD, min_occurs=0)
    zip_code: str | None = el("zipCode", TEXT, ns=GRD, min_occurs=0)
    city: str | None = el("city", TEXT, ns=GRD, min_occurs=0)
    country: str | None = el("country", TEXT, ns=GRD, min_occurs=0)
    address_point: AddressPoint | None = el("AddressPoint", AddressPoint, ns=GRD, min_occurs=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class UnstructuredAddress:
    unstructured: str = el("unstructured", TEXT, ns=GRD)


@dataclass(frozen=True, slots=True, kw_only=True)
class CPRData:
    cpr_number: str = el("cprNumber", TEXT, ns=GRD)
    name: str | None = el("name", TEXT, ns=GRD, min_occurs=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class CVRData:
    cvr_number: str = el("cvrNumber", TEXT, ns=GRD)
    company_name: str | None = el("companyName", TEXT, ns=GRD, min_occurs=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class MotorVehicle:
    license_number: str = el("licenseNumber", LICENSE_NUMBER, ns=DMV)
    chassis_number: str | None = el("chassisNumber", TEXT, ns=DMV, min_occurs=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class PropertyNumber:
    property_number: str = el("propertyNumber", TEXT, ns=GRD)


@dataclass(frozen=True, slots=True, kw_only=True)
class KLEData:
    subject_key: str = el("subjectKey", TEXT, ns=KLE)
    version: str = el("version", TEXT, ns=KLE)
    activity_facet: str | None = el("activityFacet", TEXT, ns=KLE, min_occurs=0)
    label: str = el("label", TEXT, ns=KLE)


@dataclass(frozen=True, slots=True, kw_only=True)
class FORMData:
    task_key: str = el("taskKey", TEXT, ns=FORM)
    version: str = el("version", TEXT, ns=FORM)
    activity_facet: str | None = el("activityFacet", TEXT, ns=FORM, min_occurs=0)
    label: str = el("label", TEXT, ns=FORM)


@dataclass(frozen=True, slots=True, kw_only=True)
class Education:
    education_code: str = el("educationCode", TEXT, ns=UDD)
    education_name: str | None = el("educationName", TEXT, ns=UDD, min_occurs=0)
