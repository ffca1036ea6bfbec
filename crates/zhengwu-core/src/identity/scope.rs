//! Data scopes: which departments' records a staff member may see.
//!
//! Each role has one scope: only their own records (`self`), their department, their
//! department and everything below it, all, or a custom list of departments. **A staff member
//! with several roles gets the union of their roles' scopes**: `all` if any role has it,
//! otherwise every department any role reaches, plus their own records if any role is `self`.

use std::collections::{BTreeSet, HashMap};

zhengwu_types::code_enum! {
    pub enum DataScope {
        SelfOnly = "self",
        Department = "department",
        DepartmentTree = "department_tree",
        All = "all",
        Custom = "custom",
    }
}

impl DataScope {
    pub fn name_zh(self) -> &'static str {
        match self {
            DataScope::SelfOnly => "仅本人",
            DataScope::Department => "本部门",
            DataScope::DepartmentTree => "本部门及以下",
            DataScope::All => "全部",
            DataScope::Custom => "自定义部门",
        }
    }
}

/// The departments' parent links, to find everything below a department.
#[derive(Debug, Clone, Default)]
pub struct DepartmentTree {
    children: HashMap<i64, Vec<i64>>,
}

impl DepartmentTree {
    pub fn new(links: impl IntoIterator<Item = (i64, Option<i64>)>) -> Self {
        let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
        for (id, parent) in links {
            if let Some(p) = parent {
                children.entry(p).or_default().push(id);
            }
        }
        DepartmentTree { children }
    }

    /// `root` and every department below it.
    pub fn subtree(&self, root: i64) -> BTreeSet<i64> {
        let mut out = BTreeSet::new();
        let mut stack = vec![root];
        while let Some(d) = stack.pop() {
            if out.insert(d) {
                stack.extend(self.children.get(&d).into_iter().flatten().copied());
            }
        }
        out
    }
}

/// The resolved scope of one staff member.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scope {
    pub all: bool,
    pub departments: BTreeSet<i64>,
    /// Records the staff member created or is assigned to.
    pub own: bool,
}

/// One role's contribution: its scope and, for `custom`, its departments.
pub struct RoleScope<'a> {
    pub scope: DataScope,
    pub custom: &'a [i64],
}

impl Scope {
    /// The union of `roles`' scopes for a staff member of department `home`.
    pub fn union(roles: &[RoleScope<'_>], home: i64, tree: &DepartmentTree) -> Scope {
        let mut s = Scope::default();
        for r in roles {
            match r.scope {
                DataScope::All => s.all = true,
                DataScope::SelfOnly => s.own = true,
                DataScope::Department => {
                    s.departments.insert(home);
                }
                DataScope::DepartmentTree => s.departments.extend(tree.subtree(home)),
                DataScope::Custom => s.departments.extend(r.custom.iter().copied()),
            }
        }
        s
    }

    /// May a record of `department`, owned by `owner`, be seen by staff member `me`?
    pub fn covers(&self, department: i64, owner: Option<i64>, me: i64) -> bool {
        self.all || self.departments.contains(&department) || (self.own && owner == Some(me))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 1 county ─ 2 office ─ 4 section
    //          └ 3 bureau
    fn tree() -> DepartmentTree {
        DepartmentTree::new([(1, None), (2, Some(1)), (3, Some(1)), (4, Some(2))])
    }

    #[test]
    fn each_scope_reaches_what_it_says() {
        let t = tree();
        let one = |scope, custom: &[i64]| Scope::union(&[RoleScope { scope, custom }], 2, &t);
        assert_eq!(one(DataScope::Department, &[]).departments, BTreeSet::from([2]));
        assert_eq!(one(DataScope::DepartmentTree, &[]).departments, BTreeSet::from([2, 4]));
        assert_eq!(one(DataScope::Custom, &[3]).departments, BTreeSet::from([3]));
        assert!(one(DataScope::All, &[]).covers(3, None, 9));
        let me_only = one(DataScope::SelfOnly, &[]);
        assert!(me_only.covers(3, Some(9), 9) && !me_only.covers(2, Some(8), 9) && !me_only.covers(2, None, 9));
    }

    #[test]
    fn several_roles_give_the_union() {
        let t = tree();
        let s = Scope::union(
            &[
                RoleScope { scope: DataScope::Department, custom: &[] },
                RoleScope { scope: DataScope::Custom, custom: &[3] },
                RoleScope { scope: DataScope::SelfOnly, custom: &[] },
            ],
            2,
            &t,
        );
        assert_eq!(s.departments, BTreeSet::from([2, 3]));
        assert!(s.own && !s.all);
        assert!(s.covers(3, None, 9) && !s.covers(4, None, 9) && s.covers(4, Some(9), 9));
        assert!(!Scope::union(&[], 2, &t).covers(2, None, 9), "no roles, nothing");
    }

    #[test]
    fn a_cycle_in_the_tree_does_not_loop() {
        let t = DepartmentTree::new([(1, Some(2)), (2, Some(1))]);
        assert_eq!(t.subtree(1), BTreeSet::from([1, 2]));
    }
}
