//! Permissions and the duties (三员分立) they belong to: one table each, for the server's checks
//! and the pages' (which links the console shows).

use std::fmt;

crate::code_enum! {
    /// The four duties. The three administrator duties of 等保 2.0 (system, security, audit) are
    /// kept apart from each other and from business work: one account holds roles of one duty only.
    pub enum Duty {
        /// 系统管理员: accounts, departments, configuration. No audit records, no business data.
        System = "system",
        /// 安全管理员: roles, permissions, data scopes, security policy.
        Security = "security",
        /// 安全审计员: reads and verifies the audit trail, nothing else.
        Audit = "audit",
        /// Government staff doing the work.
        Business = "business",
    }
}

impl Duty {
    pub fn name_zh(self) -> &'static str {
        match self {
            Duty::System => "系统管理员",
            Duty::Security => "安全管理员",
            Duty::Audit => "安全审计员",
            Duty::Business => "业务人员",
        }
    }
}

macro_rules! permissions {
    ($($variant:ident = $code:literal, $duty:ident, $zh:literal;)*) => {
        /// What an action needs. Stored in `role_permissions` by code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Permission { $($variant),* }

        impl Permission {
            pub const ALL: &'static [Permission] = &[$(Permission::$variant),*];

            pub fn code(self) -> &'static str {
                match self { $(Permission::$variant => $code),* }
            }

            pub fn duty(self) -> Duty {
                match self { $(Permission::$variant => Duty::$duty),* }
            }

            pub fn name_zh(self) -> &'static str {
                match self { $(Permission::$variant => $zh),* }
            }

            pub fn parse(s: &str) -> Option<Permission> {
                match s { $($code => Some(Permission::$variant),)* _ => None }
            }
        }
    };
}

permissions! {
    UserManage = "user:manage", System, "管理账号（创建、停用、重置密码、解锁）";
    DeptManage = "dept:manage", System, "管理组织机构";
    ConfigManage = "config:manage", System, "管理系统配置";
    RoleManage = "role:manage", Security, "管理角色、权限与数据范围";
    RoleAssign = "role:assign", Security, "为账号分配角色";
    PolicyManage = "policy:manage", Security, "管理安全策略";
    AuditRead = "audit:read", Audit, "查阅审计记录";
    AuditVerify = "audit:verify", Audit, "校验审计链";
    StaffRead = "staff:read", Business, "查看数据范围内的人员";
    NoticePublish = "notice:publish", Business, "发布通知公告";
    CaseRead = "case:read", Business, "查看数据范围内的办件";
    CaseApprove = "case:approve", Business, "审批办件";
    ServiceManage = "service:manage", Business, "管理服务事项";
    CaseSupervise = "case:supervise", Business, "督办：超期预警、催办、延期与终止";
    PersonalUnmask = "personal:unmask", Business, "查看数据范围内办件申请人的完整个人信息（留痕）";
    PersonalUnmaskAll = "personal:unmask_all", Business, "查看任何群众的完整个人信息（留痕，仅授予极少数人）";
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_each_duty_has_permissions() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.code()), Some(*p));
        }
        for d in Duty::ALL {
            assert!(Permission::ALL.iter().any(|p| p.duty() == d), "{d:?} has no permission");
            assert_eq!(Duty::parse(d.code()), Some(d));
        }
        assert_eq!(Permission::parse("audit:delete"), None);
    }
}
