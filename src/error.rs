//! Every error the emulator can answer with: its `Code`, HTTP status and `Message`.
//!
//! This is the only place where error codes are spelled. Spellings follow the real service and the
//! reference (misspellings included: they are the contract clients match on). `docs/error-codes.md`
//! lists the same table for users. Depends on nothing else in the crate.

use std::borrow::Cow;

/// A failed request. Rendered by `wire::render` as `{RequestId, HostId, Code, Message, Recommend}`
/// (JSON) or `<Error>…</Error>` (XML) with [`ApiError::status`] as the HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    // ----- wire and gateway (REAL-SERVICE §4.2) -----
    /// A protocol parameter (`Action`, `Version`, `AccessKeyId`, `Signature`, …) is absent.
    #[error("missing protocol parameter {0}")]
    MissingParameter(Cow<'static, str>),
    /// A required parameter of the action is absent or empty: `Missing<Name>`.
    #[error("missing parameter {0}")]
    MissingParam(&'static str),
    #[error("unknown action {0}")]
    InvalidActionNotFound(String),
    #[error("invalid version")]
    InvalidVersion,
    #[error("unsupported HTTP method")]
    UnsupportedHttpMethod,
    #[error("invalid Format")]
    InvalidFormat,
    #[error("incomplete signature: {0}")]
    IncompleteSignature(Cow<'static, str>),
    /// RPC v1: the message carries the server's string-to-sign, as the real gateway does (py-core
    /// and the Go SDK parse it to tell a wrong secret from a wrong canonicalization).
    #[error("signature does not match (v1)")]
    SignatureDoesNotMatchV1 { string_to_sign: String },
    /// ACS3-HMAC-SHA256.
    #[error("signature does not match (acs3)")]
    SignatureDoesNotMatchV3 { detail: Cow<'static, str> },
    #[error("access key not found")]
    InvalidAccessKeyIdNotFound,
    #[error("timestamp format")]
    InvalidTimeStampFormat,
    #[error("timestamp expired")]
    InvalidTimeStampExpired,
    #[error("nonce used")]
    SignatureNonceUsed,
    /// Malformed percent-encoding, bytes that are not UTF-8, or a malformed query/body.
    #[error("bad encoding: {0}")]
    InvalidEncoding(String),
    #[error("duplicate parameter {0}")]
    DuplicateParameter(String),
    #[error("body too large")]
    BodyTooLarge { limit: usize },
    #[error("too many parameters")]
    TooManyParameters { limit: usize },
    #[error("value too long")]
    ValueTooLong { name: String, limit: usize },
    /// Header fields larger than `--max-header-bytes` (issue 11).
    #[error("headers too large")]
    HeadersTooLarge { limit: usize },
    /// The request head, or then its body, did not arrive within `--request-timeout-ms`.
    #[error("request timeout")]
    RequestTimeout { limit_ms: u64 },
    /// More connections at once than `--max-connections`: the real gateway's throttling code, so
    /// that clients back off and retry.
    #[error("too many connections")]
    TooManyConnections { limit: usize },
    /// A parameter has the wrong type or is out of range (`PageSize=abc`, `Force=maybe`).
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter { name: String, reason: String },
    #[error("idempotent parameter mismatch")]
    IdempotentParameterMismatch,
    #[error("dry run passed")]
    DryRunOperation,
    /// A bug. Never the answer to bad input.
    #[error("internal error: {0}")]
    InternalError(String),
    /// Persistence: the journal could not be written; writes are refused until a restart.
    #[error("service unavailable: {0}")]
    ServiceUnavailable(String),
    /// An error injected by the control plane's fault rules (any status, code and message).
    #[error("injected fault {code}")]
    Injected { status: u16, code: String, message: String },

    // ----- regions and zones -----
    #[error("region not found")]
    InvalidRegionIdNotFound,
    #[error("zone not found")]
    InvalidZoneIdNotFound,

    // ----- VPC -----
    #[error("vpc not found")]
    InvalidVpcIdNotFound,
    #[error("vpc name malformed")]
    InvalidVpcNameMalformed,
    #[error("vpc description malformed")]
    InvalidVpcDescriptionMalformed,
    /// CreateVpc's CidrBlock (the real code is the generic `InvalidParameter`).
    #[error("vpc cidr invalid")]
    InvalidVpcCidrBlock,
    #[error("too many VpcIds")]
    InvalidVpcIdNumber,
    #[error("cidr malformed")]
    InvalidCidrBlockMalformed,
    #[error("cidr mask length")]
    InvalidCidrBlockMaskLength,
    #[error("vpc status")]
    IncorrectVpcStatus,
    #[error("vpc has vswitches")]
    DependencyViolationVSwitch { vswitch_ids: String },
    #[error("vpc quota")]
    QuotaExceededVpc { limit: usize },
    #[error("tag key invalid")]
    InvalidTagKey { reason: &'static str },
    #[error("tag value invalid")]
    InvalidTagValue { reason: &'static str },

    // ----- vSwitch -----
    #[error("vswitch not found")]
    InvalidVSwitchIdNotFound,
    #[error("vswitch name malformed")]
    InvalidVSwitchNameMalformed,
    #[error("vswitch description malformed")]
    InvalidVSwitchDescriptionMalformed,
    #[error("vswitch cidr overlapped")]
    InvalidCidrBlockOverlapped { other: String },
    #[error("vswitch cidr not in vpc")]
    InvalidCidrBlockNotInVpc,
    #[error("vswitch status")]
    IncorrectVSwitchStatus,
    #[error("vswitch quota")]
    QuotaExceededVSwitch { limit: usize },
    #[error("vswitch used by a NAT gateway")]
    DependencyViolationEnhancedNatgw { nat_gateway_ids: String },

    // ----- NAT gateways -----
    /// A mandatory parameter that the NAT reference reports with the old generic code.
    #[error("mandatory parameter missing: {0}")]
    MissingMandatory(&'static str),
    #[error("nat gateway not found")]
    InvalidNatGatewayIdNotFound,
    #[error("nat name malformed")]
    InvalidNameMalformed,
    #[error("nat description malformed")]
    InvalidDescriptionMalformed,
    #[error("spec not supported")]
    InvalidSpecValueNotSupported,
    #[error("same spec")]
    NatgwModifySpecSame,
    #[error("vpc creating")]
    VpcStatusError,
    #[error("vswitch creating")]
    VswitchStatusError,
    #[error("vswitch not in vpc")]
    VswNotBelongToVpc,
    #[error("no free ip")]
    ZoneNoAvailableIp,
    #[error("nat quota")]
    EnhancedQuotaExceed { limit: usize },
    #[error("prepaid pay-by-lcu")]
    PrePaidPayByLcu,
    /// A change to a gateway that is not Available (ModifyNatGatewayAttribute and entries).
    #[error("nat gateway status {status}")]
    IncorrectStatusNatgw { status: &'static str },
    /// The same for ModifyNatGatewaySpec, UpdateNatGatewayNatType (400) and DeleteNatGateway
    /// (404, as documented: Terraform reads it as "already being deleted").
    #[error("nat gateway status {status}")]
    IncorrectStatusNatGateway { status: &'static str, not_found: bool },
    #[error("deletion protection")]
    DeletionProtectionOn { id: String },
    #[error("nat gateway has dependents")]
    NatDependency { kind: NatDependency, ids: String },
    #[error("vpc has nat gateways")]
    DependencyViolationNatGateway { nat_gateway_ids: String },
    #[error("deletion protection: resource not found")]
    DeletionProtectionResourceNotExist,
    #[error("deletion protection already enabled")]
    DeletionProtectionAlreadyEnabled,
    #[error("deletion protection not enabled")]
    DeletionProtectionNotExist,
    #[error("NATGW_NOT_EXIST")]
    NatgwNotExist,
    #[error("nat convert unsupported")]
    NatConvertUnsupported,
    #[error("vswitch does not exist")]
    VswNotExist,

    // ----- EIPs -----
    #[error("eip not found")]
    InvalidAllocationIdNotFound,
    #[error("eip quota")]
    QuotaExceededEip { limit: usize },
    #[error("eip pool exhausted")]
    InsufficientEip,
    #[error("requested ip taken")]
    IpAllocated,
    #[error("requested ip not in pool")]
    ResourceNotFoundIp,
    #[error("eip not recently released")]
    AllocateUnfamiliarIp,
    /// AssociateEipAddress: the instance does not exist (the real code is spelled `InvalidInstanId`).
    #[error("instance not found")]
    InvalidInstanIdNotFound,
    #[error("instance type not supported")]
    InvalidInstanceTypeValueNotSupported,
    #[error("eip and instance in different regions")]
    InvalidParameterMismatch,
    #[error("eip status {status}")]
    IncorrectEipStatus { status: &'static str },
    #[error("already associated")]
    InvalidAssociationDuplicated,
    #[error("too many eips on the gateway")]
    QuotaExceededNumberOfEip { limit: usize },
    #[error("eip cannot bind this gateway")]
    EipCanNotBindNatgw { reason: &'static str },
    #[error("bind instance not found")]
    InvalidBindInstanceNotFound,
    #[error("ip used by snat")]
    IpUsedBySnatTable { entries: String },
    #[error("ip used by dnat")]
    IpUsedByForwardEntry { entries: String },
    #[error("prepaid eip")]
    ChargeTypeIsPrepaid,
    #[error("bad AssociatedInstanceType")]
    InvalidAssociatedInstanceType,

    // ----- DNAT and SNAT entries -----
    #[error("forward table not found")]
    InvalidForwardTableIdNotFound,
    #[error("forward entry not found")]
    InvalidForwardEntryIdNotFound,
    #[error("snat table not found")]
    InvalidSnatTableIdNotFound,
    #[error("snat entry not found")]
    InvalidSnatEntryIdNotFound,
    #[error("bad ExternalIp")]
    InvalidExternalIpMalformed,
    #[error("bad InternalIp")]
    InvalidInternalIpMalformed,
    #[error("bad ExternalPort")]
    InvalidExternalPortMalformed { reason: &'static str },
    #[error("bad InternalPort")]
    InvalidInternalPortMalformed { reason: &'static str },
    #[error("bad IpProtocol")]
    InvalidProtocolValueNotSupported,
    #[error("ExternalIp not on the gateway (no such EIP)")]
    InvalidExternalIpNotFound,
    #[error("ExternalIp not on this gateway")]
    InvalidIpNotInNatgw,
    #[error("EIP still associating")]
    EipInBinding { ip: String },
    #[error("internal ip outside the vpc")]
    InternalIpOutOfVpcCidr,
    #[error("ExternalIp used by SNAT")]
    ExternalIpUsedInSnatTable { entries: String },
    #[error("SnatIp used by DNAT")]
    IpUsedInForwardTable { entries: String },
    #[error("dnat tuple conflict")]
    ForwardEntryConflict { entry: String, side: &'static str },
    #[error("forward quota")]
    ForwardQuotaExceeded { limit: usize },
    #[error("snat quota")]
    SnatEntryCountLimited { limit: usize },
    #[error("entry status blocks")]
    IncorretForwardEntryStatus { detail: String },
    #[error("entry status blocks")]
    IncorretSnatEntryStatus { detail: String },
    #[error("bad SnatIp")]
    InvalidSnatIpMalformed,
    #[error("SnatIp not on the gateway")]
    InvalidSnatIpNotFound { ip: String },
    #[error("too many SnatIps")]
    SnatIpPoolCountTooMany { limit: usize },
    #[error("vswitch has an snat entry")]
    SourceVSwitchIdDuplicated { entry: String },
    #[error("snat cidr conflict")]
    SnatCidrConflict { entry: String },
    /// The NAT reference's generic `INVALID_PARAMETER` (CreateSnatEntry).
    #[error("INVALID_PARAMETER {0}")]
    SnatInvalidParameter(&'static str),
    #[error("ForwardTableId and NatGatewayId both missing")]
    DescribeForwardParamInvalid,
    #[error("eni not found")]
    InvalidNetworkInterfaceIdNotFound,

    // ----- legacy NAT bandwidth packages -----
    /// The account did not buy a NAT bandwidth package before 2018-01-26.
    #[error("legacy bandwidth packages are off for this account")]
    LegacyBandwidthPackagesOff,
    #[error("bandwidth package not found")]
    InvalidBandwidthPackageIdNotFound,
    /// CreateBandwidthPackage with an unknown gateway (404, as the reference prints it).
    #[error("NATGW_NOT_EXIST (404)")]
    NatgwNotExistForPackage,
    #[error("ip count quota")]
    QuotaExceededBandwidthPackageIps { limit: usize },
    #[error("package count quota")]
    QuotaExceededBandwidthPackageCount { limit: usize },
    #[error("bad ISP")]
    BandwidthPackageIspNotSupported,
    #[error("bad bandwidth")]
    InvalidBandwidthValueNotSupported,
    #[error("bad IpCount")]
    InvalidIpCountValueNotSupported,
    #[error("cannot remove every ip")]
    CannotRemoveAllIps,
    /// An address that is no public IP of any bandwidth package (400).
    #[error("not a nat public ip")]
    InvalidRemovedIpAddressesNotFound { ip: String },
    /// An address of another package (404, lower-case `i` as printed).
    #[error("not in this package")]
    RemovedIpNotInPackage { ip: String },
    #[error("package ip used by dnat")]
    PackageIpUsedByForwardEntry { entries: String },
    #[error("package ip used by snat")]
    PackageIpUsedBySnatEntry { entries: String },
    #[error("package has dependents")]
    PackageDependency { kind: NatDependency, entries: String },
    #[error("gateway has bandwidth packages")]
    NatGwBindWithBandwidthPackage,
    #[error("zone not found (packages)")]
    InvalidZoneIdForPackage,

    // ----- tags -----
    #[error("resource not found")]
    InvalidResourceIdNotFound { id: String },
    #[error("too many tags on a resource")]
    TagQuotaExceeded { id: String },
}

/// What keeps a NAT gateway from being deleted (DeleteNatGateway without `Force`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NatDependency {
    BandwidthPackages,
    Eips,
    SnatEntry,
    ForwardEntry,
}

impl ApiError {
    pub fn missing(name: &'static str) -> Self {
        ApiError::MissingParam(name)
    }

    pub fn invalid(name: impl Into<String>, reason: impl Into<String>) -> Self {
        ApiError::InvalidParameter { name: name.into(), reason: reason.into() }
    }

    /// The `Code` field.
    pub fn code(&self) -> Cow<'static, str> {
        use ApiError::*;
        Cow::Borrowed(match self {
            MissingParameter(_) => "MissingParameter",
            MissingParam(name) => return Cow::Owned(format!("Missing{name}")),
            InvalidActionNotFound(_) => "InvalidAction.NotFound",
            InvalidVersion => "InvalidVersion",
            UnsupportedHttpMethod => "UnsupportedHTTPMethod",
            InvalidFormat => "InvalidParameter.Format",
            IncompleteSignature(_) => "IncompleteSignature",
            SignatureDoesNotMatchV1 { .. } | SignatureDoesNotMatchV3 { .. } => "SignatureDoesNotMatch",
            InvalidAccessKeyIdNotFound => "InvalidAccessKeyId.NotFound",
            InvalidTimeStampFormat => "InvalidTimeStamp.Format",
            InvalidTimeStampExpired => "InvalidTimeStamp.Expired",
            SignatureNonceUsed => "SignatureNonceUsed",
            InvalidEncoding(_) => "InvalidParameter.Encoding",
            DuplicateParameter(_) => "InvalidParameter.Duplicate",
            BodyTooLarge { .. } => "RequestEntityTooLarge",
            TooManyParameters { .. } => "InvalidParameter.TooMany",
            ValueTooLong { .. } => "InvalidParameter.TooLong",
            HeadersTooLarge { .. } => "RequestHeaderFieldsTooLarge",
            RequestTimeout { .. } => "RequestTimeout",
            TooManyConnections { .. } => "Throttling",
            InvalidParameter { .. } => "InvalidParameter",
            IdempotentParameterMismatch => "IdempotentParameterMismatch",
            DryRunOperation => "DryRunOperation",
            InternalError(_) => "InternalError",
            ServiceUnavailable(_) => "ServiceUnavailable",
            Injected { code, .. } => return Cow::Owned(code.clone()),
            InvalidRegionIdNotFound => "InvalidRegionId.NotFound",
            InvalidZoneIdNotFound => "InvalidZoneId.NotFound",
            InvalidVpcIdNotFound => "InvalidVpcId.NotFound",
            InvalidVpcNameMalformed => "InvalidVpcName.Malformed",
            InvalidVpcDescriptionMalformed => "InvalidVpcDiscription.Malformed",
            InvalidVpcCidrBlock => "InvalidParameter",
            InvalidVpcIdNumber => "InvalidVpcIdNumber.NotSupported",
            InvalidCidrBlockMalformed => "InvalidCidrBlock.Malformed",
            InvalidCidrBlockMaskLength => "InvalidCirdrBlock.MaskLength",
            IncorrectVpcStatus => "IncorrectVpcStatus",
            DependencyViolationVSwitch { .. } => "DependencyViolation.VSwitch",
            QuotaExceededVpc { .. } => "QuotaExceeded.Vpc",
            InvalidTagKey { .. } => "InvalidTagKey",
            InvalidTagValue { .. } => "InvalidTagValue",
            InvalidVSwitchIdNotFound => "InvalidVSwitchId.NotFound",
            InvalidVSwitchNameMalformed => "InvalidVSwitchName.Malformed",
            InvalidVSwitchDescriptionMalformed => "InvalidVSwitchDiscription.Malformed",
            InvalidCidrBlockOverlapped { .. } => "InvalidCidrBlock.Overlapped",
            InvalidCidrBlockNotInVpc => "InvalidParameter",
            IncorrectVSwitchStatus => "IncorrectVSwitchStatus",
            QuotaExceededVSwitch { .. } => "QuotaExceeded.VSwitch",
            DependencyViolationEnhancedNatgw { .. } => "DependencyViolation.EnhancedNatgw",
            MissingMandatory(_) => "MissingParameter",
            InvalidNatGatewayIdNotFound => "InvalidNatGatewayId.NotFound",
            InvalidNameMalformed => "InvalidParameter.Name.Malformed",
            InvalidDescriptionMalformed => "InvalidParameter.Description.Malformed",
            InvalidSpecValueNotSupported => "InvalidParameter.Spec.ValueNotSupported",
            NatgwModifySpecSame => "NATGW_MODIFY_SPEC_SAME",
            VpcStatusError => "VpcStatusError",
            VswitchStatusError => "VswitchStatusError",
            VswNotBelongToVpc => "OperationFailed.VswNotBelongToVpc",
            ZoneNoAvailableIp => "ZONE_NO_AVAILABLE_IP",
            EnhancedQuotaExceed { .. } => "OperationFailed.EnhancedQuotaExceed",
            PrePaidPayByLcu => "OperationUnsupported.PrePaidPyByLcu",
            IncorrectStatusNatgw { .. } => "IncorrectStatus.NATGW",
            IncorrectStatusNatGateway { .. } => "IncorrectStatus.NatGateway",
            DeletionProtectionOn { .. } => "InvalidOperation.DeletionProtection",
            NatDependency { kind, .. } => match kind {
                crate::error::NatDependency::BandwidthPackages => "DependencyViolation.BandwidthPackages",
                crate::error::NatDependency::Eips => "DependencyViolation.EIPS",
                crate::error::NatDependency::SnatEntry => "DependencyViolation.SnatEntry",
                crate::error::NatDependency::ForwardEntry => "DependencyViolation.ForwardEntry",
            },
            DependencyViolationNatGateway { .. } => "DependencyViolation.NatGateway",
            DeletionProtectionResourceNotExist => "DeletionProtection.ResourceNotExist",
            DeletionProtectionAlreadyEnabled => "DeletionProtection.AlreadyEnabled",
            DeletionProtectionNotExist => "DeletionProtection.NotExist",
            NatgwNotExist => "NATGW_NOT_EXIST",
            NatConvertUnsupported => "OperationUnsupported.NatConvert",
            VswNotExist => "OperationFailed.VswNotExist",
            InvalidResourceIdNotFound { .. } => "InvalidResourceId.NotFound",
            LegacyBandwidthPackagesOff => "Forbidden",
            InvalidBandwidthPackageIdNotFound => "InvalidBandwidthPackageId.NotFound",
            NatgwNotExistForPackage => "NATGW_NOT_EXIST",
            QuotaExceededBandwidthPackageIps { .. } => "QuotaExceeded.BandwidthPackageIps",
            QuotaExceededBandwidthPackageCount { .. } => "QuotaExceeded.BandwidthPackageCountOnNatGateway",
            BandwidthPackageIspNotSupported => "InvalidParameter.BandwidthPackage.n.ISP.ValueNotSupport",
            InvalidBandwidthValueNotSupported => "InvalidBandwidth.ValueNotSupported",
            InvalidIpCountValueNotSupported | CannotRemoveAllIps => "InvalidIpCount.ValueNotSupported",
            InvalidRemovedIpAddressesNotFound { .. } => "InvalidRemovedIpAddresses.NotFound",
            RemovedIpNotInPackage { .. } => "invalidRemovedIpAddresses.NotFound",
            PackageIpUsedByForwardEntry { .. } => "DependencyViolation.ForwardEntry",
            PackageIpUsedBySnatEntry { .. } => "DependencyViolation.SnatEntry",
            PackageDependency { kind: crate::error::NatDependency::ForwardEntry, .. } => {
                "DependencyViolation.ForwardEntry"
            }
            PackageDependency { .. } => "DependencyViolation.SnatEntry",
            NatGwBindWithBandwidthPackage => "OperationFailed.NatGwBindWithBandwidthPackage",
            InvalidZoneIdForPackage => "InvalidZoneId.NotFound",
            InvalidForwardTableIdNotFound => "InvalidForwardTableId.NotFound",
            InvalidForwardEntryIdNotFound => "InvalidForwardEntryId.NotFound",
            InvalidSnatTableIdNotFound => "InvalidSnatTableId.NotFound",
            InvalidSnatEntryIdNotFound => "InvalidSnatEntryId.NotFound",
            InvalidExternalIpMalformed => "InvalidExternalIp.Malformed",
            InvalidInternalIpMalformed => "InvalidInternalIp.Malformed",
            InvalidExternalPortMalformed { .. } => "InvalidExternalPort.Malformed",
            InvalidInternalPortMalformed { .. } => "InvalidInternalPort.Malformed",
            InvalidProtocolValueNotSupported => "InvalidProtocal.ValueNotSupported",
            InvalidExternalIpNotFound => "InvalidExternalIp.NotFound",
            InvalidIpNotInNatgw => "InvalidIp.NotInNatgw",
            EipInBinding { .. } => "OperationUnsupported.EipInBinding",
            InternalIpOutOfVpcCidr => "Forbidden.InternalIpOutOfVpcCIDR",
            ExternalIpUsedInSnatTable { .. } => "Forbidden.ExternalIp.UsedInSnatTable",
            IpUsedInForwardTable { .. } => "Forbidden.IpUsedInForwardTable",
            ForwardEntryConflict { .. } => "OperationUnsupported.PortConflict",
            ForwardQuotaExceeded { .. } => "QuotaExceeded",
            SnatEntryCountLimited { .. } => "Forbidden.SnatEntryCountLimited",
            IncorretForwardEntryStatus { .. } => "IncorretForwardEntryStatus",
            IncorretSnatEntryStatus { .. } => "IncorretSnatEntryStatus",
            InvalidSnatIpMalformed => "InvalidSnatIp.Malformed",
            InvalidSnatIpNotFound { .. } => "InvalidSnatIp.NotFound",
            SnatIpPoolCountTooMany { .. } => "SNAT_IP_POOL_COUNT_TOO_MANY",
            SourceVSwitchIdDuplicated { .. } => "Forbidden.SourceVSwitchId.Duplicated",
            SnatCidrConflict { .. } => "OperationUnsupported.CidrConflict",
            SnatInvalidParameter(_) => "INVALID_PARAMETER",
            DescribeForwardParamInvalid => "DESCRIBE_FORWARD_PARAM_INVALID",
            InvalidNetworkInterfaceIdNotFound => "InvalidNetworkInterfaceId.NotFound",
            InvalidAllocationIdNotFound => "InvalidAllocationId.NotFound",
            QuotaExceededEip { .. } => "QuotaExceeded.Eip",
            InsufficientEip => "OperationFailed.InsufficientEIP",
            IpAllocated => "Ip.Allocated",
            ResourceNotFoundIp => "ResourceNotFound.Ip",
            AllocateUnfamiliarIp => "OperationFailed.AllocateUnfamiliarIp",
            InvalidInstanIdNotFound => "InvalidInstanId.NotFound",
            InvalidInstanceTypeValueNotSupported => "InvalidInstanceType.ValueNotSupported",
            InvalidParameterMismatch => "InvalidParameter.Mismatch",
            IncorrectEipStatus { .. } => "IncorrectEipStatus",
            InvalidAssociationDuplicated => "InvalidAssociation.Duplicated",
            QuotaExceededNumberOfEip { .. } => "QuotaExceeded.NumberOfEip",
            EipCanNotBindNatgw { .. } => "Forbidden.EipCanNotBindGatgw",
            InvalidBindInstanceNotFound => "InvalidBindInstance.NotFound",
            IpUsedBySnatTable { .. } => "InvalidIpStatus.HasBeenUsedBySnatTable",
            IpUsedByForwardEntry { .. } => "InvalidIpStatus.HasBeenUsedByForwardEntry",
            ChargeTypeIsPrepaid => "Forbidden.ChargeTypeIsPrepaid",
            InvalidAssociatedInstanceType => "InvalidIAssociatedInstanceType.ValueNotSupported",
            TagQuotaExceeded { .. } => "QuotaExceeded.TagNum",
        })
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        use ApiError::*;
        match self {
            InvalidActionNotFound(_)
            | InvalidAccessKeyIdNotFound
            | InvalidRegionIdNotFound
            | InvalidZoneIdNotFound
            | InvalidVpcIdNotFound
            | InvalidVSwitchIdNotFound
            | InvalidNatGatewayIdNotFound
            | DeletionProtectionNotExist
            | InvalidResourceIdNotFound { .. }
            | InvalidAllocationIdNotFound
            | InvalidInstanIdNotFound
            | InvalidBindInstanceNotFound
            | InvalidForwardTableIdNotFound
            | InvalidForwardEntryIdNotFound
            | InvalidSnatTableIdNotFound
            | InvalidSnatEntryIdNotFound
            | InvalidExternalIpNotFound
            | InvalidSnatIpNotFound { .. }
            | InvalidNetworkInterfaceIdNotFound
            | InvalidBandwidthPackageIdNotFound
            | NatgwNotExistForPackage
            | InvalidBandwidthValueNotSupported
            | RemovedIpNotInPackage { .. }
            | InvalidZoneIdForPackage => 404,
            LegacyBandwidthPackagesOff => 403,
            IncorrectStatusNatGateway { not_found: true, .. } => 404,
            UnsupportedHttpMethod => 403,
            BodyTooLarge { .. } => 413,
            HeadersTooLarge { .. } => 431,
            RequestTimeout { .. } => 408,
            InternalError(_) => 500,
            ServiceUnavailable(_) => 503,
            Injected { status, .. } => *status,
            _ => 400,
        }
    }

    /// The `Message` field.
    pub fn message(&self) -> Cow<'static, str> {
        use ApiError::*;
        Cow::Borrowed(match self {
            MissingParameter(name) => {
                return Cow::Owned(format!(
                    "The input parameter \"{name}\" that is mandatory for processing this request is not supplied."
                ))
            }
            MissingParam(name) => return Cow::Owned(format!("{name} is mandatory for this action.")),
            InvalidActionNotFound(_) => "Specified api is not found, please check your url and method.",
            InvalidVersion => "Specified parameter Version is not valid.",
            UnsupportedHttpMethod => "This http method is not supported.",
            InvalidFormat => "Specified parameter format is not valid.",
            IncompleteSignature(detail) => {
                return Cow::Owned(format!(
                    "The request signature does not conform to Aliyun standards. {detail}"
                ))
            }
            SignatureDoesNotMatchV1 { string_to_sign } => {
                return Cow::Owned(format!(
                    "Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}"
                ))
            }
            SignatureDoesNotMatchV3 { detail } => {
                return Cow::Owned(format!("Specified signature does not match our calculation. {detail}"))
            }
            InvalidAccessKeyIdNotFound => "Specified access key is not found.",
            InvalidTimeStampFormat => "Specified time stamp or date value is not well formatted.",
            InvalidTimeStampExpired => "Specified time stamp or date value is expired.",
            SignatureNonceUsed => "Specified signature nonce was used already.",
            InvalidEncoding(detail) => {
                return Cow::Owned(format!("The request is not correctly encoded: {detail}."))
            }
            DuplicateParameter(name) => {
                return Cow::Owned(format!("The parameter \"{name}\" is specified more than once."))
            }
            BodyTooLarge { limit } => {
                return Cow::Owned(format!("The request body exceeds the limit of {limit} bytes."))
            }
            TooManyParameters { limit } => {
                return Cow::Owned(format!("The request has more than {limit} parameters."))
            }
            ValueTooLong { name, limit } => {
                return Cow::Owned(format!(
                    "The value of parameter \"{name}\" is longer than {limit} bytes."
                ))
            }
            HeadersTooLarge { limit } => {
                return Cow::Owned(format!("The request header fields exceed the limit of {limit} bytes."))
            }
            RequestTimeout { limit_ms } => {
                return Cow::Owned(format!(
                    "The request was not received in time: its head, and then its body, must each arrive within {limit_ms} ms."
                ))
            }
            TooManyConnections { limit } => {
                return Cow::Owned(format!(
                    "Request was denied due to request throttling. The emulator serves at most {limit} connections at once."
                ))
            }
            InvalidParameter { name, reason } => {
                return Cow::Owned(format!("The specified parameter \"{name}\" is not valid: {reason}"))
            }
            IdempotentParameterMismatch => "The request is retried with updated parameters.",
            DryRunOperation => "Request validation has been passed with DryRun flag set.",
            InternalError(_) => "The request processing has failed due to some unknown error.",
            ServiceUnavailable(_) => "The request has failed due to a temporary failure of the server.",
            Injected { message, .. } => return Cow::Owned(message.clone()),
            InvalidRegionIdNotFound => "The specified RegionId does not exist in our records.",
            InvalidZoneIdNotFound => "Specified zone does not exist.",
            InvalidVpcIdNotFound => "Specified VPC does not exist.",
            InvalidVpcNameMalformed => "Specified VPC name is not valid.",
            InvalidVpcDescriptionMalformed => "Specified VPC description is not valid.",
            InvalidVpcCidrBlock => "Specified CIDR block is not valid",
            InvalidVpcIdNumber => "The number of vpcIds exceeds the limit.",
            InvalidCidrBlockMalformed => "Specified CIDR block is not valid.",
            InvalidCidrBlockMaskLength => "Specified CIDR block is not valid .",
            IncorrectVpcStatus => "Current VPC status does not support this operation.",
            DependencyViolationVSwitch { vswitch_ids } => {
                return Cow::Owned(format!(
                    "Specified object has dependent resources. Delete these vSwitches first: {vswitch_ids}."
                ))
            }
            QuotaExceededVpc { limit } => {
                return Cow::Owned(format!("VPC quota exceeded. The quota is {limit} VPCs per region."))
            }
            InvalidTagKey { reason } => return Cow::Owned(format!("The tag keys are not valid. {reason}.")),
            InvalidTagValue { reason } => return Cow::Owned(format!("The tag values are not valid. {reason}.")),
            InvalidVSwitchIdNotFound => "VSwitch not exist.",
            InvalidVSwitchNameMalformed => "Specified virtual switch name is not valid.",
            InvalidVSwitchDescriptionMalformed => "Specified virtual switch description is not valid.",
            InvalidCidrBlockOverlapped { other } => {
                return Cow::Owned(format!(
                    "Specified CIDR block overlapped with other subnets. It overlaps {other}."
                ))
            }
            InvalidCidrBlockNotInVpc => "Specified CIDR block is not valid in VPC.",
            IncorrectVSwitchStatus => "The current virtual switch status does not support this operation.",
            QuotaExceededVSwitch { limit } => {
                return Cow::Owned(format!("Virtual switch quota exceeded. The quota is {limit} vSwitches per VPC."))
            }
            DependencyViolationEnhancedNatgw { nat_gateway_ids } => {
                return Cow::Owned(format!(
                    "Specified object has dependent resources. Delete these NAT gateways first: {nat_gateway_ids}."
                ))
            }
            MissingMandatory(name) => {
                return Cow::Owned(format!("Miss mandatory parameter. {name} is required here."))
            }
            InvalidNatGatewayIdNotFound => "The specified NatGatewayId does not exist in our records.",
            InvalidNameMalformed => "The specified Name is not valid.",
            InvalidDescriptionMalformed => "The specified Description is not valid.",
            InvalidSpecValueNotSupported => "The specified Spec is not valid.",
            NatgwModifySpecSame => "The specified Spec is same with now.",
            VpcStatusError => "The Vpc is creating .",
            VswitchStatusError => "The VSwitch is creating .",
            VswNotBelongToVpc => {
                "Operation failed because the specified VSwitch is not bound to the same VPC with NAT gateway."
            }
            ZoneNoAvailableIp => "The Zone have no available ip.",
            EnhancedQuotaExceed { limit } => {
                return Cow::Owned(format!(
                    "Operation failed because the maximum number of enhanced NAT gateways in the same VPC is exceeded. The quota is {limit}."
                ))
            }
            PrePaidPayByLcu => {
                "The operation failed because the subscription NAT gateway does not support the pay-by-LCU billing method."
            }
            IncorrectStatusNatgw { status } | IncorrectStatusNatGateway { status, .. } => {
                return Cow::Owned(format!("The status of NAT gateway is incorrect. It is {status}."))
            }
            DeletionProtectionOn { id } => {
                return Cow::Owned(format!(
                    "The instance cannnot delete because of deletion protecion. Disable it first: DeletionProtection with InstanceId={id}, ProtectionEnable=false."
                ))
            }
            NatDependency { kind, ids } => {
                let what = match kind {
                    crate::error::NatDependency::BandwidthPackages => {
                        "There are BandwidthPackages on specified NatGateway not deleted."
                    }
                    crate::error::NatDependency::Eips => "There are Eips on specified NatGateway, please unbind it first.",
                    crate::error::NatDependency::SnatEntry => {
                        "The specified resource of NatGateway depends on SnatEntry, so the operation cannot be completed."
                    }
                    crate::error::NatDependency::ForwardEntry => {
                        "The specified resource of NatGateway depends on ForwardEntry, so the operation cannot be completed."
                    }
                };
                return Cow::Owned(format!("{what} Remove these first (or pass Force=true): {ids}."));
            }
            DependencyViolationNatGateway { nat_gateway_ids } => {
                return Cow::Owned(format!(
                    "Specified object has dependent resources NatGateway. Delete these first: {nat_gateway_ids}."
                ))
            }
            DeletionProtectionResourceNotExist => "The resource is not exist.",
            DeletionProtectionAlreadyEnabled => "The resource deletion protection is already enabled.",
            DeletionProtectionNotExist => "The resource deletion protection is not found",
            NatgwNotExist => "The specified NAT gateway does not exist.",
            NatConvertUnsupported => "The NAT gateway conversion function is not supported.",
            VswNotExist => "The specified VSwitch does not exist.",
            InvalidAllocationIdNotFound => "Specified allocation ID is not found.",
            QuotaExceededEip { limit } => {
                return Cow::Owned(format!("Elastic IP address quota exceeded. The quota is {limit} EIPs per region."))
            }
            InsufficientEip => "Eip resource is not enough.",
            IpAllocated => "The reserve ip has been allocated.",
            ResourceNotFoundIp => "The specified ip is not found.",
            AllocateUnfamiliarIp => {
                "The operation failed because only IP addresses used within the last seven days can be allocated."
            }
            InvalidInstanIdNotFound => "Specified instance does not exist.",
            InvalidInstanceTypeValueNotSupported => "The specified value of InstanceType is not supported.",
            InvalidParameterMismatch => "Specified elastic IP address and ECS instance are not in the same region.",
            IncorrectEipStatus { status } => {
                return Cow::Owned(format!(
                    "Current elastic IP status does not support this operation. The EIP is {status}."
                ))
            }
            InvalidAssociationDuplicated => "Specified instance already is associated.",
            QuotaExceededNumberOfEip { limit } => {
                return Cow::Owned(format!("Binded eip Quota exceed on this NatGw. The quota is {limit}."))
            }
            EipCanNotBindNatgw { reason } => return Cow::Owned(format!("Eip can not bind on natgw. {reason}")),
            InvalidBindInstanceNotFound => "The specified bind instance does not exist.",
            IpUsedBySnatTable { entries } => {
                return Cow::Owned(format!(
                    "The removed ip address has been used by snat table. Delete or change these SNAT entries first (or pass Force=true): {entries}."
                ))
            }
            IpUsedByForwardEntry { entries } => {
                return Cow::Owned(format!(
                    "The specified address has been used by forwardTable. Delete these DNAT entries first (or pass Force=true): {entries}."
                ))
            }
            ChargeTypeIsPrepaid => "It's forbidden to release a prepaid EIP",
            InvalidAssociatedInstanceType => "The specified value of AssociatedInstanceType is not supported.",
            InvalidForwardTableIdNotFound => "Specified forward table does not exist.",
            InvalidForwardEntryIdNotFound => "Specified forward entry ID does not exist",
            InvalidSnatTableIdNotFound => "Specified SNAT table does not exist.",
            InvalidSnatEntryIdNotFound => "Specified SNAT entry does not exist.",
            InvalidExternalIpMalformed => "The specified ExternalIp is not a valid IP address.",
            InvalidInternalIpMalformed => "The specified InternalIp is not a valid IP address.",
            InvalidExternalPortMalformed { reason } => {
                return Cow::Owned(format!("The specified ExternalPort is not a valid port. {reason}"))
            }
            InvalidInternalPortMalformed { reason } => {
                return Cow::Owned(format!("The specified InternalPort is not a valid port. {reason}"))
            }
            InvalidProtocolValueNotSupported => "The specified IpProtocol does not support.",
            InvalidExternalIpNotFound => "Specified External Ip address does not found on the VRouter",
            InvalidIpNotInNatgw => "The specified Ip not belong to natgateway.",
            EipInBinding { ip } => {
                return Cow::Owned(format!(
                    "Create entry with eip in associating status is unsupported. {ip} is still Associating; retry when it is InUse."
                ))
            }
            InternalIpOutOfVpcCidr => "The specified Internal Ip is Out of VPC CIDR.",
            ExternalIpUsedInSnatTable { entries } => {
                return Cow::Owned(format!("The specified ExternalIp is already used in SnatTable: {entries}."))
            }
            IpUsedInForwardTable { entries } => {
                return Cow::Owned(format!("The specified SnatIp already used in forward table: {entries}."))
            }
            ForwardEntryConflict { entry, side } => {
                return Cow::Owned(format!(
                    "The {side} address, port and protocol are already used by DNAT entry {entry}."
                ))
            }
            ForwardQuotaExceeded { limit } => {
                return Cow::Owned(format!("Forward entry quota exceeded in this route table. The quota is {limit}."))
            }
            SnatEntryCountLimited { limit } => {
                return Cow::Owned(format!("SNAT entry in the specified SNAT table reach it?s limit. The quota is {limit}."))
            }
            IncorretForwardEntryStatus { detail } => {
                return Cow::Owned(format!("Some Forward entry status blocked this operation.. {detail}"))
            }
            IncorretSnatEntryStatus { detail } => {
                return Cow::Owned(format!("Some Snat entry status blocked this operation.. {detail}"))
            }
            InvalidSnatIpMalformed => "The specified SnatIp is not a valid IP address.",
            InvalidSnatIpNotFound { ip } => {
                return Cow::Owned(format!("Specified SnatIp does not found on the NAT Gateway: {ip}."))
            }
            SnatIpPoolCountTooMany { limit } => {
                return Cow::Owned(format!("The Snat pool ip too many. At most {limit} addresses per entry."))
            }
            SourceVSwitchIdDuplicated { entry } => {
                return Cow::Owned(format!("The specified SourceCIDRis duplicated. SNAT entry {entry} already covers it."))
            }
            SnatCidrConflict { entry } => {
                return Cow::Owned(format!(
                    "The specified CIDR block conflicts with an existing SNAT entry: {entry}."
                ))
            }
            SnatInvalidParameter(why) => return Cow::Owned(format!("The parameter invalid. {why}")),
            DescribeForwardParamInvalid => "ForwardTableId and natGatewayId can not both be null",
            InvalidNetworkInterfaceIdNotFound => {
                "The specified network interface does not exist (the emulator models no ENIs)."
            }
            LegacyBandwidthPackagesOff => {
                "User not authorized to operate on the specified resource. NAT bandwidth packages are only for accounts that bought one before 2018-01-26; associate EIPs with the NAT gateway instead (AssociateEipAddress)."
            }
            InvalidBandwidthPackageIdNotFound => "The specified bandwidthPackageId does not exist in our records.",
            NatgwNotExistForPackage => "The NatGateway not exist.",
            QuotaExceededBandwidthPackageIps { limit } => {
                return Cow::Owned(format!("The specified ipCount exceeded quota. A package holds 1 to {limit} IPs."))
            }
            QuotaExceededBandwidthPackageCount { limit } => {
                return Cow::Owned(format!(
                    "BandwidthPackage count limit on one NatGateway exceeded. At most {limit} per gateway."
                ))
            }
            BandwidthPackageIspNotSupported => "The specified ISP of BandwidthPackage is not valid.",
            InvalidBandwidthValueNotSupported => "The specified value of Bandwidth not supported.",
            InvalidIpCountValueNotSupported => "The specified value of IpCount not supported.",
            CannotRemoveAllIps => "Can not remove all ips of the bandwidthPackage.",
            InvalidRemovedIpAddressesNotFound { ip } => {
                return Cow::Owned(format!("Some of remove ip is not natPublicIp: {ip}."))
            }
            RemovedIpNotInPackage { ip } => {
                return Cow::Owned(format!(
                    "Some of the specified value of RemovedIpAddress not found in specified BandwidthPackage: {ip}."
                ))
            }
            PackageIpUsedByForwardEntry { entries } => {
                return Cow::Owned(format!("The ip has been used by ForwardEntry. Delete these first: {entries}."))
            }
            PackageIpUsedBySnatEntry { entries } => {
                return Cow::Owned(format!("The ip has been used by SnatEntry. Delete these first: {entries}."))
            }
            PackageDependency { entries, .. } => {
                return Cow::Owned(format!(
                    "The specified BandwidthPackageId has dependent resource. Delete these entries first (or pass Force=true): {entries}."
                ))
            }
            NatGwBindWithBandwidthPackage => "Operation failed because the NAT gateway is bound to bandwidth packages.",
            InvalidZoneIdForPackage => "Specified value of ZoneId is not exists.",
            InvalidResourceIdNotFound { id } => {
                return Cow::Owned(format!("The specified resource {id} is not found."))
            }
            TagQuotaExceeded { id } => {
                return Cow::Owned(format!("The number of tags on resource {id} would exceed 20."))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_message_has_the_prefix_py_core_splits_on() {
        let e = ApiError::SignatureDoesNotMatchV1 { string_to_sign: "GET&%2F&A%3Db".into() };
        let m = e.message();
        assert_eq!(m.split(':').nth(1), Some("GET&%2F&A%3Db"));
        assert_eq!(e.status(), 400);
    }

    #[test]
    fn missing_param_code_and_message() {
        let e = ApiError::missing("RegionId");
        assert_eq!(e.code(), "MissingRegionId");
        assert_eq!(e.message(), "RegionId is mandatory for this action.");
    }
}

#[cfg(test)]
mod doc_tests {
    /// docs/error-codes.md lists every code this file spells.
    #[test]
    fn every_code_is_documented() {
        let src = include_str!("error.rs");
        let doc = include_str!("../docs/error-codes.md");
        let body = &src[src.find("pub fn code(").expect("code()")..src.find("pub fn status(").expect("status()")];
        let mut missing = vec![];
        for part in body.split("=> \"").skip(1) {
            let code = &part[..part.find('"').unwrap_or(0)];
            if !code.is_empty() && !doc.contains(&format!("`{code}`")) {
                missing.push(code.to_owned());
            }
        }
        assert!(missing.is_empty(), "not in docs/error-codes.md: {missing:?}");
    }
}
